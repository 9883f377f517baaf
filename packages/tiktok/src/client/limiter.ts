/** What a request held while in flight: when it started, in the limiter's terms. */
export interface Slot {
  /** Requests in flight when it started, itself included. */
  readonly inFlight: number;
  /** The decrease it started after (see `release`). */
  readonly round: number;
  /** It alone tries the ceiling. */
  readonly probe: boolean;
}

/**
 * Requests in flight, sized to what the API accepts: additive increase, multiplicative
 * decrease (AIMD, as TCP does), with TCP's slow start and a remembered ceiling (as CUBIC
 * remembers the window of its last loss). Chosen over a latency-gradient limit because TikTok
 * says so explicitly (code 40100, or a gateway's 429) rather than through its response times.
 *
 * - It starts at 4 and adds one a clean answer (doubling a round trip) up to the maximum.
 * - A throttle halves the limit at once, so the next requests stop hammering the API, and
 *   remembers the fewest in flight at which a request was throttled: the ceiling.
 * - It grows back one a clean answer to one below the ceiling and stays there. Now and then
 *   one request alone tries the ceiling (a probe): answered, the ceiling rises by one;
 *   throttled, the next probe waits twice as many clean rounds. A fixed limit so costs a
 *   handful of throttles a run, and a limit that rises is found again (bench/FINDINGS.md#in-flight).
 */
export class InFlightLimiter {
  private active = 0;
  private clean = 0;
  private round = 0;
  private ceiling = Infinity;
  /** Clean rounds (answers per `limit`) before the next probe. */
  private probeRounds = FIRST_PROBE_ROUNDS;
  private probing = false;
  private readonly waiting: (() => void)[] = [];
  limit: number;
  /** The most requests in flight at once since `usage` was last called. */
  private peak = 0;
  /** Throttled answers seen. */
  throttles = 0;
  /** Requests in flight integrated over time (request-milliseconds), for their mean. */
  private area = 0;
  private since = Date.now();

  /** Request-milliseconds in flight so far, and the most at once since the last call. */
  usage(now = Date.now()): { inFlightMs: number; peak: number } {
    this.tick(now);
    const peak = this.peak;
    this.peak = this.active;
    return { inFlightMs: this.area, peak };
  }

  private tick(now = Date.now()) {
    this.area += this.active * (now - this.since);
    this.since = now;
  }

  constructor(
    readonly max: number,
    initial = 4,
  ) {
    this.limit = Math.max(1, Math.min(initial, max));
  }

  /** Waits for a slot; the caller must `release` it. */
  async acquire(signal?: AbortSignal): Promise<Slot> {
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
    this.tick();
    this.active++;
    this.peak = Math.max(this.peak, this.active);
    const probe = this.probing && this.active >= this.ceiling;
    if (probe) {
      // One request tries the ceiling; the others stay below it until it is answered.
      this.probing = false;
      this.limit = this.ceiling - 1;
    }
    return { inFlight: this.active, round: this.round, probe };
  }

  /** Frees a slot, saying whether the API throttled the request that held it. */
  release(slot: Slot, throttled: boolean): void {
    this.tick();
    this.active--;
    if (throttled) this.throttles++;
    if (slot.probe) {
      if (throttled) this.probeRounds = Math.min(MAX_PROBE_ROUNDS, this.probeRounds * 2);
      else {
        this.limit = Math.min(this.max, this.ceiling++);
        this.probeRounds = FIRST_PROBE_ROUNDS;
      }
    } else if (throttled) this.throttled(slot);
    else this.answered();
    // Wake as many as may now start; the others keep waiting in order.
    for (let free = this.limit - this.active; free > 0 && this.waiting.length > 0; free--) this.waiting.shift()!();
  }

  private throttled(slot: Slot) {
    this.ceiling = Math.min(this.ceiling, Math.max(2, slot.inFlight));
    // Requests started before the last decrease met the same overload: one decrease for them all.
    if (slot.round !== this.round) return;
    this.round++;
    this.clean = 0;
    this.probing = false;
    this.limit = Math.max(1, Math.floor(this.limit / 2));
  }

  private answered() {
    const safe = Math.min(this.max, this.ceiling - 1);
    if (this.limit < safe) {
      this.limit++;
      return;
    }
    if (this.limit >= this.max || this.probing) return;
    if (++this.clean < this.limit * this.probeRounds) return;
    this.clean = 0;
    this.probing = true;
    this.limit++;
  }
}

const FIRST_PROBE_ROUNDS = 8;
const MAX_PROBE_ROUNDS = 256;
