import { setTimeout as sleep } from "node:timers/promises";
import { Pool } from "undici";
import type { TikTokEvent } from "../types.js";
import { MAX_BATCH_EVENTS } from "../types.js";
import { eventFingerprint } from "../map/hash.js";
import { backoffDelay, retryAfterMs } from "./backoff.js";
import { classify, THROTTLE_CODES, throttlePeriod, type Kind } from "./classify.js";
import { InFlightLimiter } from "./limiter.js";

export const DEFAULT_BASE_URL = "https://business-api.tiktok.com";
/**
 * Requests in flight at most, by default: at TikTok's few hundred milliseconds a batch, 8 send
 * 20,000-40,000 events a second, a million rows in under a minute, far below TikTok's 1,000
 * requests a second; the limiter goes lower when TikTok throttles.
 */
export const DEFAULT_IN_FLIGHT = 8;
const TRACK = "/open_api/v1.3/event/track/";

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

/** Events a part of a request body: about 45 KB, under V8's large-object size (128 KB). */
const PART_EVENTS = 100;

/** A request body as parts, its length in bytes, and the events it carries. */
type Body = { parts: string[]; bytes: number; count: number };

type Answer = {
  kind: Kind;
  /** Of a throttled answer: the limit it met. */
  period?: "second" | "minute" | "day";
  code: number | undefined;
  message: string;
  requestId?: string;
  data?: unknown;
  retryAfter?: number;
  httpStatus?: number;
};

/** TikTok's throttle codes, or a gateway's HTTP 429 (which carries no TikTok code). */
const isThrottle = (answer: Answer) => (answer.code !== undefined && THROTTLE_CODES.has(answer.code)) || answer.httpStatus === 429;

/** Milliseconds until the next 00:00 UTC, when TikTok's daily limit resets. */
const untilMidnightUtc = (now: number) => 86_400_000 - (now % 86_400_000);

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

export function createTikTokClient(options: TikTokClientOptions): TikTokClient {
  const base = new URL(options.baseUrl ?? DEFAULT_BASE_URL);
  const prefix = base.pathname.replace(/\/+$/, "");
  const connections = options.connections ?? DEFAULT_IN_FLIGHT;
  const pool = new Pool(base.origin, { connections, keepAliveTimeout: 30_000, pipelining: 1 });
  const maxAttempts = options.maxAttempts ?? 8;
  const stallMs = options.stallMs ?? 10 * 60_000;
  const minutePauseMs = options.minutePauseMs ?? 5 * 60_000;
  // Requests in flight follow TikTok's answers: halved on a throttle, grown back while clean.
  const limiter = new InFlightLimiter(connections);
  let lastAccepted = Date.now();
  // Evenly spaced starts where a rate is known: a burst would only be throttled.
  const spacing = options.requestsPerSecond ? 1000 / options.requestsPerSecond : 0;
  let nextStart = 0;
  const pace = async (signal?: AbortSignal) => {
    if (!spacing) return;
    const now = Date.now();
    const at = Math.max(now, nextStart);
    nextStart = at + spacing;
    if (at > now) await sleep(at - now, undefined, signal ? { signal } : undefined);
  };
  const timeoutMs = options.timeoutMs ?? 30_000;
  const backoff = { ...(options.backoff ?? { baseMs: 500, maxMs: 30_000 }), ...(options.random ? { random: options.random } : {}) };
  const headers = { "access-token": options.accessToken, "content-type": "application/json", "user-agent": "ferry/0.1" };
  // Over TikTok's per-minute limit every request of this client waits: TikTok says to pause.
  let pausedUntil = 0;

  async function once(method: "GET" | "POST", path: string, body: Body | undefined, signal?: AbortSignal): Promise<Answer> {
    const wait = pausedUntil - Date.now();
    if (wait > 0) await sleep(wait, undefined, signal ? { signal } : undefined);
    try {
      const response = await pool.request({
        method,
        path: prefix + path,
        headers: body ? { ...headers, "content-length": String(body.bytes) } : headers,
        // An array is sent part after part, and can be sent again on a retry. undici documents
        // Iterable bodies (Dispatcher.md, "body"); its request() types do not list them yet.
        ...(body !== undefined ? { body: body.parts as Iterable<string> as unknown as string } : {}),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        ...(signal ? { signal } : {}),
      });
      const text = await response.body.text();
      const retryAfter = retryAfterMs(response.headers["retry-after"]);
      let parsed: { code?: unknown; message?: unknown; request_id?: unknown; data?: unknown } | undefined;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const code = typeof parsed?.code === "number" ? parsed.code : undefined;
      return {
        kind: classify(code, response.statusCode),
        code,
        message: typeof parsed?.message === "string" ? parsed.message : `HTTP ${response.statusCode} without a TikTok answer`,
        ...(typeof parsed?.request_id === "string" ? { requestId: parsed.request_id } : {}),
        data: parsed?.data,
        httpStatus: response.statusCode,
        ...(retryAfter !== undefined ? { retryAfter } : {}),
      };
    } catch (error) {
      if (signal?.aborted) throw error;
      const code = (error as { code?: string }).code ?? "network";
      return { kind: "retryable", code: undefined, message: `network error ${code}` };
    }
  }

  type Counter = { requests: number; retries: Retries };
  const newCounter = (): Counter => ({ requests: 0, retries: { throttled: 0, serverErrors: 0, network: 0, waitedMs: 0 } });

  /** One logical request, retried on throttling, TikTok-side errors and network failures. */
  async function call(
    method: "GET" | "POST",
    path: string,
    body: Body | undefined,
    signal: AbortSignal | undefined,
    counter: Counter,
  ): Promise<Answer> {
    let failures = 0;
    let throttles = 0;
    for (;;) {
      counter.requests++;
      const slot = await limiter.acquire(signal);
      await pace(signal);
      let answer: Answer;
      let throttled = false;
      try {
        answer = await once(method, path, body, signal);
        throttled = isThrottle(answer);
      } finally {
        limiter.release(slot, throttled);
      }
      if (answer.kind === "ok") lastAccepted = Date.now();
      if (answer.kind !== "retryable") return answer;
      const period = throttled ? throttlePeriod(answer.message) : undefined;
      // Over the daily limit nothing more goes through until 00:00 UTC: stop, and say so.
      if (period === "day") return { ...answer, period };
      // Throttling is retried while the client makes progress; other failures a few times.
      if (throttled ? Date.now() - lastAccepted > stallMs : ++failures >= maxAttempts) return answer;
      if (throttled) throttles++;
      // Each request waits its own jittered time (or the gateway's Retry-After): released
      // together, they would be throttled together.
      let delayMs = answer.retryAfter ?? backoffDelay((throttled ? throttles : failures) - 1, backoff);
      if (throttled) {
        counter.retries.throttled++;
        // Over the per-minute limit (said, or a minute of throttling without an acceptance),
        // every request pauses as TikTok advises, once a minute at most.
        const now = Date.now();
        if ((period === "minute" || now - lastAccepted > 60_000) && pausedUntil < now - 60_000) {
          pausedUntil = now + minutePauseMs;
          options.onPause?.({ ms: minutePauseMs, reason: "minute" });
        }
        delayMs = Math.max(delayMs, pausedUntil - now);
      } else if (answer.httpStatus === undefined) counter.retries.network++;
      else counter.retries.serverErrors++;
      counter.retries.waitedMs += delayMs;
      options.onRetry?.({
        attempt: failures + throttles,
        delayMs,
        ...(answer.code !== undefined ? { code: answer.code } : {}),
        ...(answer.httpStatus !== undefined ? { httpStatus: answer.httpStatus } : {}),
        ...(answer.code === undefined && answer.httpStatus === undefined ? { error: answer.message } : {}),
        ...(answer.requestId ? { requestId: answer.requestId } : {}),
      });
      await sleep(delayMs, undefined, signal ? { signal } : undefined);
    }
  }

  const bodyHead = (eventSetId: string, testEventCode: string | undefined) =>
    JSON.stringify({
      event_source: "offline",
      event_source_id: eventSetId,
      partner_name: "Ferry",
      ...(testEventCode ? { test_event_code: testEventCode } : {}),
    }).slice(0, -1);

  /** The events of a body, read back (bisection, and a refusal's fingerprint: both rare). */
  const eventsOf = (body: Body): TikTokEvent[] => (JSON.parse(body.parts.join("")) as { data: TikTokEvent[] }).data;

  /**
   * The request body: the head's fields, then `data`, the same bytes JSON.stringify of the
   * whole gives, in parts of PART_EVENTS events. One string a batch (450 KB for a thousand
   * events) would be a large object, which V8 frees only in full collections: dead bodies
   * piled up to 70 MB of a million-row run's 214 MB peak RSS. Parts stay in the young
   * generation, where the dead cost nothing.
   */
  function bodyFor(head: string, events: readonly TikTokEvent[]): Body {
    const parts = [`${head},"data":[`];
    for (let i = 0; i < events.length; i += PART_EVENTS) {
      if (i > 0) parts.push(",");
      const json = JSON.stringify(events.slice(i, i + PART_EVENTS));
      parts.push(json.slice(1, -1));
    }
    parts.push("]}");
    let bytes = 0;
    for (const part of parts) bytes += Buffer.byteLength(part);
    return { parts, bytes, count: events.length };
  }

  /** What a failure's message says before TikTok's own words: why the client gave up. */
  function failureHead(answer: Answer): string {
    if (answer.kind !== "retryable") return "";
    if (answer.period === "day") {
      const hours = untilMidnightUtc(Date.now()) / 3_600_000;
      return `TikTok's daily request limit was reached; it resets at 00:00 UTC, in ${hours < 1 ? `${Math.ceil(hours * 60)} min` : `${hours.toFixed(1)} h`}: `;
    }
    return isThrottle(answer)
      ? `throttled, with nothing accepted for ${Math.round(stallMs / 1000)} s: `
      : `gave up after ${maxAttempts} attempts: `;
  }

  /**
   * Sends a serialised batch. Only the body is kept while the request is out: the caller's
   * events (a thousand objects a batch, several batches in flight) become garbage at once
   * instead of surviving collections until TikTok answers (measured on a million-row run:
   * Ferry's CPU 11.3 -> 9.2 s). Bisection, rare, reads the events back from the body.
   */
  async function sendBody(head: string, body: Body, signal: AbortSignal | undefined): Promise<BatchOutcome> {
    const counter = newCounter();
    const rejected: Rejection[] = [];
    let accepted = 0;
    // Invalid-parameter refusals condemn the whole batch: split it in halves until the
    // offending events stand alone (Census's approach), and send the rest.
    const send = async (offset: number, body: Body): Promise<BatchOutcome | undefined> => {
      const answer = await call("POST", TRACK, body, signal, counter);
      if (answer.kind === "ok") {
        accepted += body.count;
        return undefined;
      }
      if (answer.kind === "invalid") {
        if (body.count === 1) {
          rejected.push({
            index: offset,
            code: answer.code ?? 40002,
            message: answer.message,
            fingerprint: eventFingerprint(eventsOf(body)[0]!),
            ...(answer.requestId ? { requestId: answer.requestId } : {}),
          });
          return undefined;
        }
        const events = eventsOf(body);
        const half = Math.ceil(events.length / 2);
        return (await send(offset, bodyFor(head, events.slice(0, half)))) ?? (await send(offset + half, bodyFor(head, events.slice(half))));
      }
      const daily = answer.period === "day";
      return {
        status: "failed",
        kind: answer.kind,
        // A gateway's 429 carries no TikTok code: its status says it was throttling.
        code: answer.code ?? (answer.httpStatus === 429 ? 429 : undefined),
        ...(daily ? { limit: "day" as const } : {}),
        message: `${failureHead(answer)}${answer.message}`,
        ...(answer.requestId ? { requestId: answer.requestId } : {}),
        requests: counter.requests,
        retries: counter.retries,
      };
    };
    const failure = await send(0, body);
    return failure ?? { status: "accepted", accepted, rejected, requests: counter.requests, retries: counter.retries };
  }

  return {
    // Not async: the events are serialised before this returns, and not referenced after.
    sendBatch(eventSetId, events, sendOptions = {}) {
      if (events.length === 0)
        return Promise.resolve({ status: "accepted", accepted: 0, rejected: [], requests: 0, retries: newCounter().retries });
      if (events.length > MAX_BATCH_EVENTS) return Promise.reject(new RangeError(`a batch holds at most ${MAX_BATCH_EVENTS} events`));
      const head = bodyHead(eventSetId, sendOptions.testEventCode);
      return sendBody(head, bodyFor(head, events), sendOptions.signal);
    },

    usage: () => limiter.usage(),

    async resolveEventSet(advertiserId, activationName) {
      const counter = newCounter();
      const answer = await call(
        "GET",
        `/open_api/v1.3/offline/get/?advertiser_id=${encodeURIComponent(advertiserId)}`,
        undefined,
        undefined,
        counter,
      );
      if (answer.kind !== "ok")
        throw new TikTokError(
          answer.kind,
          answer.code,
          `could not list the offline event sets of advertiser ${advertiserId}: ${answer.message}`,
          answer.requestId,
        );
      // The list arrives as `data` itself or under `data.list` depending on the API version.
      const data = answer.data as { list?: unknown } | unknown[] | undefined;
      const list = (Array.isArray(data) ? data : Array.isArray(data?.list) ? data.list : []) as Partial<EventSet>[];
      const sets = list.filter((s): s is EventSet => typeof s.event_set_id === "string" && typeof s.name === "string");
      if (sets.length === 1) return sets[0]!.event_set_id;
      const named = sets.find((s) => s.name === activationName);
      if (named) return named.event_set_id;
      const candidates = sets.map((s) => `${s.event_set_id} (${s.name})`).join(", ");
      throw new TikTokError(
        "invalid",
        undefined,
        sets.length === 0
          ? `advertiser ${advertiserId} has no offline event set: create one in TikTok Events Manager, or set destination.event_set_id`
          : `advertiser ${advertiserId} has ${sets.length} offline event sets and none is named "${activationName}": set destination.event_set_id to one of ${candidates}`,
      );
    },

    async close() {
      await pool.close();
    },
  };
}
