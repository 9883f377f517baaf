/** What the caller should do with a TikTok answer (Segment's taxonomy). */
export type Kind = "ok" | "retryable" | "auth" | "permission" | "invalid" | "bug";

/** TikTok's codes for "throttled": retry later, with fewer requests at once. */
export const THROTTLE_CODES: ReadonlySet<number> = new Set([40100, 40132, 61000]);

/**
 * Which of TikTok's limits a throttled answer met, from its message: TikTok sends no header
 * saying so. Its advice differs: over the second, retry; the minute, pause 5 minutes; the
 * day, stop until 00:00 UTC.
 */
export function throttlePeriod(message: string): "second" | "minute" | "day" {
  if (/\b(daily|day)\b/i.test(message)) return "day";
  if (/\bminute\b/i.test(message)) return "minute";
  return "second";
}

/** Classifies TikTok's body `code` (and the HTTP status when there is no body). */
export function classify(code: number | undefined, httpStatus: number): Kind {
  if (code === undefined) {
    if (httpStatus === 429 || httpStatus >= 500) return "retryable";
    if (httpStatus === 401) return "auth";
    if (httpStatus === 403) return "permission";
    return httpStatus >= 200 && httpStatus < 300 ? "bug" : "invalid";
  }
  if (code === 0 || code === 20001) return "ok";
  if (THROTTLE_CODES.has(code)) return "retryable";
  if (code === 40104 || code === 40105) return "auth";
  if (code === 40001) return "permission";
  // Our side sent a bad batch size or unhashed personal data: a bug to fail loudly on.
  if (code === 40061 || code === 40062) return "bug";
  if (code >= 50000 && code < 60000) return "retryable";
  if (code >= 40000 && code < 50000) return "invalid";
  return httpStatus >= 500 ? "retryable" : "invalid";
}
