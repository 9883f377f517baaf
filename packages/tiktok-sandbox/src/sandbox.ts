import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { parseJsonBody } from "./body.js";
import { checkTrackBody, Refusal } from "./contract.js";
import { FirstSeen } from "./first-seen.js";

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

const DEDUP_SECONDS = 48 * 3600;

/** mulberry32: small, seedable, good enough for fault dice. */
function dice(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const tokens = new Set(options.tokens ?? ["sandbox-token"]);
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const rules = { now, windowDays: options.windowDays === undefined ? 28 : options.windowDays, futureSkewSeconds: 300 };
  const advertisers = structuredClone(options.advertisers ?? {});
  const keepEvents = options.keepEvents ?? true;
  const random = dice(options.seed ?? 1);
  let faults: FaultScript = options.faults ?? {};
  let revoked = false;
  let acceptedRequests = 0;
  let requestSeq = 0;
  // First sight of each event_id, per event set and event name (TikTok's deduplication key);
  // nested so that a million events cost a million table entries, not a million joined keys.
  const firstSeen = new Map<string, FirstSeen>();
  let events: AcceptedEvent[] = [];
  let recorded: RecordedRequest[] = [];
  let stats: SandboxStats = { requests: 0, peakInFlight: 0, accepted: 0, duplicates: 0, refused: 0, byCode: {} };
  let inFlight = 0;
  // The per-second token bucket, and the current minute's and day's request counts.
  const bucket = { tokens: Number.NaN, at: 0 };
  const quota = { minute: -1, inMinute: 0, day: -1, inDay: 0 };
  const sockets = new Set<Socket>();

  const answer = (
    res: ServerResponse,
    code: number,
    message: string,
    data: unknown = {},
    extra: { status?: number; headers?: Record<string, string> } = {},
  ) => {
    const requestId = `sbx-${(++requestSeq).toString(36)}`;
    res.writeHead(extra.status ?? 200, { "content-type": "application/json", ...extra.headers });
    res.end(JSON.stringify({ code, message, request_id: requestId, data }));
  };

  /** The answer's delay: the base latency, a share of the jitter, and per event when accepted. */
  const wait = (f: FaultScript, events = 0) => {
    const ms = (f.latencyMs ?? 0) + (f.latencyJitterMs ? random() * f.latencyJitterMs : 0) + events * (f.latencyPerEventMs ?? 0);
    return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : undefined;
  };

  /** TikTok's message when a track request is over a limit, or undefined; takes its share of each. */
  function overLimit(f: FaultScript): string | undefined {
    const t = Date.now();
    if (f.maxInFlight !== undefined && inFlight > f.maxInFlight) return "Too many requests: too many requests at once";
    if (f.throttleRate && random() < f.throttleRate) return "Too many requests: the rate limit was reached";
    const day = Math.floor(t / 86_400_000);
    if (quota.day !== day) [quota.day, quota.inDay] = [day, 0];
    if (f.perDay !== undefined && quota.inDay >= f.perDay) return `Too many requests: the daily limit of ${f.perDay} requests was reached`;
    const minute = Math.floor(t / 60_000);
    if (quota.minute !== minute) [quota.minute, quota.inMinute] = [minute, 0];
    if (f.perMinute !== undefined && quota.inMinute >= f.perMinute)
      return `Too many requests: the limit of ${f.perMinute} requests a minute was reached`;
    if (f.qps !== undefined) {
      const burst = f.burst ?? f.qps;
      bucket.tokens = Number.isNaN(bucket.tokens) ? burst : Math.min(burst, bucket.tokens + ((t - bucket.at) * f.qps) / 1000);
      bucket.at = t;
      if (bucket.tokens < 1) return "Too many requests: the rate limit was reached";
      bucket.tokens--;
    }
    quota.inMinute++;
    quota.inDay++;
    return undefined;
  }

  async function track(req: IncomingMessage, res: ServerResponse, body: unknown, record: RecordedRequest) {
    if (body === undefined) return answer(res, 40002, "the body is not valid JSON");
    const f = faults;
    if (f.hangRate && random() < f.hangRate) return; // never answers; the client's timeout must fire
    if (f.dropRate && !f.dropAfterAccept && random() < f.dropRate) return void req.socket.destroy();
    if (f.errorRate && random() < f.errorRate) {
      record.code = 50002;
      return random() < 0.5
        ? answer(res, 50000, "internal error", {}, { status: 500 })
        : answer(res, 50002, "service temporarily unavailable");
    }
    const over = overLimit(f);
    if (over) {
      record.code = 40100;
      await wait(f);
      const throttleHeaders: Record<string, string> =
        f.retryAfterSeconds !== undefined ? { "retry-after": String(f.retryAfterSeconds) } : {};
      if (f.throttleWith429) {
        res.writeHead(429, { "content-type": "text/plain", ...throttleHeaders });
        return void res.end("Too Many Requests");
      }
      return answer(res, 40100, over, {}, { headers: throttleHeaders });
    }
    await wait(f, record.events);
    const checked = checkTrackBody(body, rules);
    if (checked instanceof Refusal) {
      record.code = checked.code;
      return answer(res, checked.code, checked.message);
    }
    if (f.denyEventSets?.includes(checked.event_source_id)) {
      record.code = 40001;
      return answer(res, 40001, "no permission to write to this event set");
    }
    const refusedId = f.refuseEventIds && checked.data.findIndex((e) => f.refuseEventIds!.includes(String(e["event_id"])));
    if (refusedId !== undefined && refusedId >= 0) {
      record.code = 40002;
      return answer(res, 40002, `data[${refusedId}] was refused by the sandbox's fault script`);
    }
    const at = now();
    // A batch is nearly always one event name: look its scope up once, not once an event.
    let lastName: unknown;
    let seen: FirstSeen | undefined;
    for (const event of checked.data) {
      if (seen === undefined || event["event"] !== lastName) {
        lastName = event["event"];
        const scope = `${checked.event_source_id}\u0000${String(lastName)}`;
        seen = firstSeen.get(scope);
        if (!seen) firstSeen.set(scope, (seen = new FirstSeen()));
      }
      if (seen.seenWithin(String(event["event_id"]), at, DEDUP_SECONDS)) {
        stats.duplicates++;
        continue;
      }
      stats.accepted++;
      if (keepEvents) {
        events.push({
          eventSetId: checked.event_source_id,
          ...(checked.test_event_code ? { testEventCode: checked.test_event_code } : {}),
          event,
        });
      }
    }
    acceptedRequests++;
    if (f.revokeTokenAfter !== undefined && acceptedRequests >= f.revokeTokenAfter) revoked = true;
    record.code = 0;
    if (f.dropRate && f.dropAfterAccept && random() < f.dropRate) return void req.socket.destroy();
    answer(res, 0, "OK");
  }

  const server = createServer(async (req, res) => {
    inFlight++;
    stats.peakInFlight = Math.max(stats.peakInFlight, inFlight);
    res.once("close", () => inFlight--);
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      // The client went away mid-body (a killed run, a timed-out upload): there is no one to
      // answer, and a half-read request must not be judged or counted.
      return void res.destroy();
    }
    // The text of the body only where it is kept or read whole; a track request's body is
    // parsed from the chunks (body.ts says why).
    let text: string | undefined;
    const raw = () => (text ??= Buffer.concat(chunks).toString("utf8"));
    const url = new URL(req.url ?? "/", "http://sandbox");

    // Control endpoints for tests, the demo and the benchmark (which runs us in another process).
    if (url.pathname.startsWith("/sandbox/")) {
      res.setHeader("content-type", "application/json");
      if (url.pathname === "/sandbox/stats") return res.end(JSON.stringify(stats));
      if (url.pathname === "/sandbox/events") {
        const set = url.searchParams.get("event_set_id");
        return res.end(JSON.stringify(set ? events.filter((e) => e.eventSetId === set) : events));
      }
      if (url.pathname === "/sandbox/faults" && req.method === "PUT") {
        script(JSON.parse(raw() || "{}") as FaultScript);
        return res.end("{}");
      }
      if (url.pathname === "/sandbox/reset" && req.method === "POST") {
        reset();
        return res.end("{}");
      }
      res.statusCode = 404;
      return res.end('{"error":"unknown sandbox endpoint"}');
    }

    // Track requests wait in track(), where their events and the limits are known.
    if (url.pathname !== "/open_api/v1.3/event/track/") await wait(faults);
    stats.requests++;
    // Without kept events the bodies are not kept either: a benchmark's million events would
    // otherwise stay in memory as text.
    const record: RecordedRequest = {
      method: req.method ?? "",
      path: url.pathname + url.search,
      body: keepEvents ? raw() : "",
      code: undefined,
      events: 0,
    };
    recorded.push(record);
    const count = (code: number) => (stats.byCode[code] = (stats.byCode[code] ?? 0) + 1);
    res.on("finish", () => {
      if (record.code !== undefined) count(record.code);
      if (record.code !== undefined && record.code !== 0) stats.refused++;
      if (url.pathname === "/open_api/v1.3/event/track/") options.onTrack?.(stats);
    });

    const token = req.headers["access-token"];
    if (typeof token !== "string" || token === "") {
      record.code = 40104;
      return answer(res, 40104, "Access-Token header is missing");
    }
    if (!tokens.has(token) || revoked) {
      record.code = 40105;
      return answer(res, 40105, "the access token is invalid or has been revoked");
    }

    if (url.pathname === "/open_api/v1.3/event/track/" && req.method === "POST") {
      let body: unknown;
      try {
        body = parseJsonBody(chunks);
      } catch {
        body = undefined;
      }
      const data = (body as { data?: unknown } | null | undefined)?.data;
      record.events = Array.isArray(data) ? data.length : 0;
      return track(req, res, body, record);
    }
    if (url.pathname === "/open_api/v1.3/offline/get/" && req.method === "GET") {
      const advertiser = url.searchParams.get("advertiser_id") ?? "";
      if (!/^\d+$/.test(advertiser)) {
        record.code = 40002;
        return answer(res, 40002, "advertiser_id must be a string of digits");
      }
      record.code = 0;
      return answer(res, 0, "OK", { list: advertisers[advertiser] ?? [] });
    }
    if (url.pathname === "/open_api/v1.3/offline/create/" && req.method === "POST") {
      const body = JSON.parse(raw() || "{}") as { advertiser_id?: unknown; name?: unknown };
      if (typeof body.advertiser_id !== "string" || typeof body.name !== "string" || body.name === "") {
        record.code = 40002;
        return answer(res, 40002, "advertiser_id and name are required strings");
      }
      const id = `71${String(Date.now()).padStart(17, "0")}`.slice(0, 19);
      (advertisers[body.advertiser_id] ??= []).push({ event_set_id: id, name: body.name });
      record.code = 0;
      return answer(res, 0, "OK", { event_set_id: id });
    }
    record.code = 40002;
    answer(res, 40002, `unknown endpoint ${req.method} ${url.pathname}`, {}, { status: 404 });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.keepAliveTimeout = 60_000;

  function reset() {
    firstSeen.clear();
    events = [];
    recorded = [];
    stats = { requests: 0, peakInFlight: 0, accepted: 0, duplicates: 0, refused: 0, byCode: {} };
    script({});
  }

  /** A new script starts afresh: a token revoked by the previous one is valid again, the limits' counts are zero. */
  function script(f: FaultScript) {
    faults = f;
    revoked = f.revokeTokenAfter === 0;
    acceptedRequests = 0;
    Object.assign(bucket, { tokens: Number.NaN, at: 0 });
    Object.assign(quota, { minute: -1, inMinute: 0, day: -1, inDay: 0 });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    token: [...tokens][0] ?? "",
    accepted: () => events,
    acceptedIds: () => [...firstSeen.values()].flatMap((seen) => seen.seenIds()),
    requests: () => recorded,
    stats: () => structuredClone(stats),
    setFaults: script,
    reset,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
