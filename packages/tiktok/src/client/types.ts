// The client's public shapes: options, outcomes, errors.
import type { TikTokEvent } from "../types.js";
import type { Kind } from "./classify.js";

export const DEFAULT_BASE_URL = "https://business-api.tiktok.com";
/**
 * Requests in flight at most, by default: at TikTok's few hundred milliseconds a batch, 8 send
 * 20,000-40,000 events a second, a million rows in under a minute, far below TikTok's 1,000
 * requests a second; the limiter goes lower when TikTok throttles.
 */
export const DEFAULT_IN_FLIGHT = 8;

export interface TikTokClientOptions {
  /** Default: TIKTOK_API_BASE_URL semantics are the caller's; this is the resolved base. */
  baseUrl?: string;
  accessToken: string;
  /** Keep-alive connections, and so requests in flight at most. */
  connections?: number;
  /** Requests a second at most: their starts are spaced evenly (unset: no pace). */
  requestsPerSecond?: number;
  /** Attempts of a request that meets TikTok-side or network errors; throttling is not counted. */
  maxAttempts?: number;
  /**
   * How long throttled requests keep being retried while nothing is accepted (default 10
   * minutes): throttling never fails a run that makes progress, only one that stalls.
   */
  stallMs?: number;
  /**
   * How long every request waits when TikTok's per-minute limit is reached (default 5 minutes,
   * TikTok's advice); assumed reached when its message says so, or when nothing was accepted
   * for a minute of throttling.
   */
  minutePauseMs?: number;
  timeoutMs?: number;
  backoff?: { baseMs: number; maxMs: number };
  random?: () => number;
  /** Called when every request pauses for TikTok's per-minute limit. */
  onPause?: (info: { ms: number; reason: "minute" }) => void;
  /** Called before each retry wait; carries codes, never the token or event data. */
  onRetry?: (info: { attempt: number; delayMs: number; code?: number; httpStatus?: number; error?: string; requestId?: string }) => void;
}

export interface Rejection {
  /** Index of the event in the batch given to sendBatch. */
  index: number;
  code: number;
  message: string;
  requestId?: string;
  /** The event as sent (eventFingerprint), remembered so that it is not sent again unchanged. */
  fingerprint: string;
}

/** Retries made for one batch, by cause, and the time spent waiting to retry. */
export interface Retries {
  throttled: number;
  serverErrors: number;
  network: number;
  /** Milliseconds this batch's requests waited before being retried (backoff, Retry-After). */
  waitedMs: number;
}

export type BatchOutcome =
  | { status: "accepted"; accepted: number; rejected: Rejection[]; requests: number; retries: Retries }
  | {
      status: "failed";
      kind: Exclude<Kind, "ok" | "invalid"> | "invalid";
      code: number | undefined;
      message: string;
      requestId?: string;
      /** Throttled until the limit of this period resets: a run stops for the day. */
      limit?: "day";
      requests: number;
      retries: Retries;
    };

/** An error from TikTok or the network with a stable code; never carries the token. */
export class TikTokError extends Error {
  constructor(
    readonly kind: Exclude<Kind, "ok">,
    readonly code: number | undefined,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = "TikTokError";
  }
}

export interface EventSet {
  event_set_id: string;
  name: string;
}

export interface TikTokClient {
  /**
   * Sends one batch; retryable failures are retried here, invalid events isolated by bisection.
   * The events are serialised when it is called and not referenced afterwards.
   */
  sendBatch(
    eventSetId: string,
    events: readonly TikTokEvent[],
    options?: { testEventCode?: string | undefined; signal?: AbortSignal },
  ): Promise<BatchOutcome>;
  /**
   * Requests in flight so far, integrated over time (request-milliseconds: their mean over a
   * span is its difference divided by the span), and the most at once since the last call.
   */
  usage(): { inFlightMs: number; peak: number };
  /** The offline event set to send to when an activation names only its advertiser. */
  resolveEventSet(advertiserId: string, activationName: string): Promise<string>;
  close(): Promise<void>;
}
