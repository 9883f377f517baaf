import { setTimeout as sleep } from "node:timers/promises";
import { Pool } from "undici";
import { backoffDelay, retryAfterMs } from "./backoff.js";
import type { Body } from "./body.js";
import { classify, THROTTLE_CODES, throttlePeriod, type Kind } from "./classify.js";
import { InFlightLimiter } from "./limiter.js";
import { DEFAULT_BASE_URL, DEFAULT_IN_FLIGHT, type Retries, type TikTokClientOptions } from "./types.js";

/** TikTok's answer to one request, as the client reads it. */
export type Answer = {
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

/** Requests and retries made for one logical call (a batch, with its bisection). */
export type Counter = { requests: number; retries: Retries };
export const newCounter = (): Counter => ({ requests: 0, retries: { throttled: 0, serverErrors: 0, network: 0, waitedMs: 0 } });

/** TikTok's throttle codes, or a gateway's HTTP 429 (which carries no TikTok code). */
export const isThrottle = (answer: Answer): boolean =>
  (answer.code !== undefined && THROTTLE_CODES.has(answer.code)) || answer.httpStatus === 429;

export interface Transport {
  /** One logical request, retried on throttling, TikTok-side errors and network failures. */
  call(method: "GET" | "POST", path: string, body: Body | undefined, signal: AbortSignal | undefined, counter: Counter): Promise<Answer>;
  /** Why the client gave up on an answer, before TikTok's own words. */
  failureHead(answer: Answer): string;
  usage(): { inFlightMs: number; peak: number };
  close(): Promise<void>;
}

/** Milliseconds until the next 00:00 UTC, when TikTok's daily limit resets. */
const untilMidnightUtc = (now: number) => 86_400_000 - (now % 86_400_000);

/**
 * HTTP to TikTok over undici's pool: requests in flight follow TikTok's answers (halved on a
 * throttle, grown back while clean), starts are paced where a rate is known, and every request
 * pauses when TikTok's per-minute limit is reached.
 */
export function createTransport(options: TikTokClientOptions): Transport {
  const base = new URL(options.baseUrl ?? DEFAULT_BASE_URL);
  const prefix = base.pathname.replace(/\/+$/, "");
  const connections = options.connections ?? DEFAULT_IN_FLIGHT;
  const pool = new Pool(base.origin, { connections, keepAliveTimeout: 30_000, pipelining: 1 });
  const maxAttempts = options.maxAttempts ?? 8;
  const stallMs = options.stallMs ?? 10 * 60_000;
  const minutePauseMs = options.minutePauseMs ?? 5 * 60_000;
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

  /** How long a failed request waits before its retry, counted by cause. */
  function delayFor(answer: Answer, throttled: boolean, attempt: number, period: Answer["period"], counter: Counter): number {
    // Each request waits its own jittered time (or the gateway's Retry-After): released
    // together, they would be throttled together.
    let delayMs = answer.retryAfter ?? backoffDelay(attempt - 1, backoff);
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
    return delayMs;
  }

  async function call(method: "GET" | "POST", path: string, body: Body | undefined, signal: AbortSignal | undefined, counter: Counter) {
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
      const delayMs = delayFor(answer, throttled, throttled ? throttles : failures, period, counter);
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

  return {
    call,
    failureHead(answer) {
      if (answer.kind !== "retryable") return "";
      if (answer.period === "day") {
        const hours = untilMidnightUtc(Date.now()) / 3_600_000;
        return `TikTok's daily request limit was reached; it resets at 00:00 UTC, in ${hours < 1 ? `${Math.ceil(hours * 60)} min` : `${hours.toFixed(1)} h`}: `;
      }
      return isThrottle(answer)
        ? `throttled, with nothing accepted for ${Math.round(stallMs / 1000)} s: `
        : `gave up after ${maxAttempts} attempts: `;
    },
    usage: () => limiter.usage(),
    close: () => pool.close(),
  };
}
