import type { FaultScript } from "./types.js";

/** mulberry32: small, seedable, good enough for fault dice. */
export function dice(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * TikTok's limits as the fault script sets them: requests in flight, a per-second token bucket,
 * per-minute and per-day windows, and throttling at random. Counts start afresh with each script.
 */
export class Limits {
  private bucket = { tokens: Number.NaN, at: 0 };
  private quota = { minute: -1, inMinute: 0, day: -1, inDay: 0 };

  constructor(private readonly random: () => number) {}

  reset(): void {
    this.bucket = { tokens: Number.NaN, at: 0 };
    this.quota = { minute: -1, inMinute: 0, day: -1, inDay: 0 };
  }

  /** TikTok's message when a track request is over a limit, or undefined; takes its share of each. */
  over(f: FaultScript, inFlight: number, t = Date.now()): string | undefined {
    const { bucket, quota } = this;
    if (f.maxInFlight !== undefined && inFlight > f.maxInFlight) return "Too many requests: too many requests at once";
    if (f.throttleRate && this.random() < f.throttleRate) return "Too many requests: the rate limit was reached";
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
}

/** The answer's delay: the base latency, a share of the jitter, and per event when accepted. */
export function latency(f: FaultScript, random: () => number, events = 0): Promise<void> | undefined {
  const ms = (f.latencyMs ?? 0) + (f.latencyJitterMs ? random() * f.latencyJitterMs : 0) + events * (f.latencyPerEventMs ?? 0);
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : undefined;
}
