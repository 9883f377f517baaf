/**
 * Requests in flight, sized to what the API accepts: additive increase, multiplicative decrease
 * (AIMD, as TCP does). A throttled answer halves the limit at once, so the next requests stop
 * hammering a limit that resets in a second; a full round of clean answers (as many as the
 * limit) raises it by one, up to the maximum. Chosen over a latency-gradient limit because
 * TikTok says so explicitly (code 40100) rather than through its response times.
 */
export class InFlightLimiter {
  private active = 0;
  private clean = 0;
  private readonly waiting: (() => void)[] = [];
  limit: number;
  /** The most requests in flight at once, for the run report. */
  peak = 0;

  constructor(readonly max: number) {
    this.limit = max;
  }

  /** Waits for a slot; the caller must `release` it. */
  async acquire(signal?: AbortSignal): Promise<void> {
    while (this.active >= this.limit) {
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal?.removeEventListener("abort", abort);
          resolve();
        };
        const abort = () => {
          const i = this.waiting.indexOf(wake);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(signal!.reason);
        };
        if (signal?.aborted) return abort();
        signal?.addEventListener("abort", abort, { once: true });
        this.waiting.push(wake);
      });
    }
    this.active++;
    this.peak = Math.max(this.peak, this.active);
  }

  /** Frees a slot, saying whether the API throttled the request that held it. */
  release(throttled: boolean): void {
    this.active--;
    if (throttled) {
      this.limit = Math.max(1, Math.floor(this.limit / 2));
      this.clean = 0;
    } else if (++this.clean >= this.limit && this.limit < this.max) {
      this.limit++;
      this.clean = 0;
    }
    // Wake as many as may now start; the others keep waiting in order.
    for (let free = this.limit - this.active; free > 0 && this.waiting.length > 0; free--) this.waiting.shift()!();
  }
}
