// The sandbox's options, fault script and what it reports.

/** Switchable misbehaviour, to test what the client does when TikTok is unkind. */
export interface FaultScript {
  /** Track requests a second, as a token bucket (TikTok's per-second limit); over it: throttled. */
  qps?: number;
  /** Requests the bucket lets through at once (default: qps). */
  burst?: number;
  /** Track requests a minute (fixed windows); over it: throttled, the message naming the minute. */
  perMinute?: number;
  /** Track requests a UTC day; over it: throttled, the message naming the day. */
  perDay?: number;
  /** Share of track requests answered 40100 (throttled) at random. */
  throttleRate?: number;
  /** Retry-After (seconds) sent with throttling answers; absent by default, as TikTok does. */
  retryAfterSeconds?: number;
  /** Throttle as a gateway in front of TikTok does: HTTP 429 without TikTok's body (default: 200 with code 40100). */
  throttleWith429?: boolean;
  /** Requests in flight at most; one more is throttled (TikTok's concurrency, as a fault). */
  maxInFlight?: number;
  /** Share of track requests failing on TikTok's side (half HTTP 500, half code 50002 in HTTP 200). */
  errorRate?: number;
  /** Latency added to every API request (not the /sandbox/ control endpoints). */
  latencyMs?: number;
  /** Latency added per event of an accepted track request, as a real API takes longer for more. */
  latencyPerEventMs?: number;
  /** Up to this much more latency, at random (seeded). */
  latencyJitterMs?: number;
  /** Share of track requests whose connection is dropped without an answer. */
  dropRate?: number;
  /** Drop only after the events were stored: the client cannot know they arrived. */
  dropAfterAccept?: boolean;
  /** Share of track requests that never answer (for client timeouts). */
  hangRate?: number;
  /** Revoke every token after this many accepted track requests (until the next script). */
  revokeTokenAfter?: number;
  /** Event sets the token may not write to (40001). */
  denyEventSets?: string[];
  /** Events refused as invalid (40002), e.g. to test isolation by bisection. */
  refuseEventIds?: string[];
}

export interface SandboxOptions {
  port?: number;
  host?: string;
  /** Valid access tokens (default: ["sandbox-token"]). */
  tokens?: string[];
  /** Offline event sets per advertiser, for /offline/get/. Any event set ID is writable unless denied. */
  advertisers?: Record<string, { event_set_id: string; name: string }[]>;
  faults?: FaultScript;
  /** Unix seconds; default the wall clock. */
  now?: () => number;
  /** Refuse events older than this many days (default 28; null accepts them). */
  windowDays?: number | null;
  /** Keep accepted events and request bodies in memory (default true); the benchmark keeps only event ids. */
  keepEvents?: boolean;
  /** Seed of the fault dice, for reproducible runs. */
  seed?: number;
  /** Called after each /event/track/ request is answered (tests synchronise on it). */
  onTrack?: (stats: SandboxStats) => void;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** The body as received (personal-data scans read it); the access token is never kept. */
  body: string;
  code: number | undefined;
  events: number;
}

export interface AcceptedEvent {
  eventSetId: string;
  testEventCode?: string;
  event: Record<string, unknown>;
}

export interface SandboxStats {
  requests: number;
  /** The most requests it had in flight at once (from their arrival to their answer). */
  peakInFlight: number;
  accepted: number;
  duplicates: number;
  refused: number;
  byCode: Record<string, number>;
}

export interface Sandbox {
  url: string;
  token: string;
  accepted(): AcceptedEvent[];
  acceptedIds(): string[];
  requests(): RecordedRequest[];
  stats(): SandboxStats;
  setFaults(faults: FaultScript): void;
  reset(): void;
  close(): Promise<void>;
}
