import { describe, expect, it } from "vitest";
import { InFlightLimiter, type Slot } from "./limiter.js";

/**
 * Drives a limiter against a model API that throttles every request started with more than
 * `cap` in flight, one answer at a time (oldest first), and says how the limit moved.
 */
async function against(cap: number, answers: number, limiter = new InFlightLimiter(16)) {
  const flying: Slot[] = [];
  const limits: number[] = [];
  const answer = () => {
    const slot = flying.shift()!;
    limiter.release(slot, slot.inFlight > cap);
    limits.push(limiter.limit);
  };
  for (let i = 0; i < answers; i++) {
    // Fill every free slot, as the engine does with a batch always waiting.
    while (flying.length < limiter.limit) flying.push(await limiter.acquire());
    answer();
  }
  while (flying.length > 0) answer();
  return { limiter, limits };
}

describe("InFlightLimiter", () => {
  it("never lets more than the limit in flight, and wakes waiters in order", async () => {
    const limiter = new InFlightLimiter(2);
    const order: number[] = [];
    const a = await limiter.acquire();
    const b = await limiter.acquire();
    const third = limiter.acquire().then(() => order.push(3));
    const fourth = limiter.acquire().then(() => order.push(4));
    await Promise.resolve();
    expect(order).toEqual([]);
    limiter.release(a, false);
    await third;
    expect(order).toEqual([3]);
    limiter.release(b, false);
    await fourth;
    expect(order).toEqual([3, 4]);
    expect(limiter.usage().peak).toBe(2);
  });

  it("starts at 4 and grows by one a clean answer up to the maximum", async () => {
    const { limits } = await against(Infinity, 20, new InFlightLimiter(8));
    expect(limits.slice(0, 5)).toEqual([5, 6, 7, 8, 8]);
    expect(Math.max(...limits)).toBe(8);
  });

  it("halves once for the requests one overload throttled, within 1 and the maximum", async () => {
    const limiter = new InFlightLimiter(8, 8);
    const slots = await Promise.all(Array.from({ length: 8 }, () => limiter.acquire()));
    for (const slot of slots) limiter.release(slot, true);
    expect(limiter.limit).toBe(4);
    for (let i = 0; i < 4; i++) limiter.release(await limiter.acquire(), true);
    expect(limiter.limit).toBe(1);
  });

  it("settles one below the fewest in flight that were throttled, and tries it again ever more rarely", async () => {
    const limiter = new InFlightLimiter(16);
    const { limits } = await against(6, 100, limiter);
    // Slow start overshot once: every request started above the cap until its answer came.
    const overshoot = limiter.throttles;
    expect(overshoot).toBeGreaterThan(0);
    const { limits: later } = await against(6, 2000, limiter);
    expect(limits.at(-1)).toBe(6);
    expect(later.filter((l) => l === 6).length / later.length).toBeGreaterThan(0.95);
    expect(Math.max(...later)).toBeLessThanOrEqual(7);
    // Then one throttle a probe, the probes ever further apart: about log2 of the answers.
    expect(limiter.throttles - overshoot).toBeLessThanOrEqual(Math.ceil(Math.log2(2000)) - 3);
  });

  it("finds a higher limit when the API's moves up", async () => {
    const { limiter } = await against(2, 300);
    expect(limiter.limit).toBe(2);
    // The same limiter against a more generous API: each answered probe lifts the ceiling.
    await against(10, 3000, limiter);
    expect(limiter.limit).toBeGreaterThanOrEqual(9);
  });

  it("stops waiting when the run is stopped", async () => {
    const limiter = new InFlightLimiter(1);
    const slot = await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort(new Error("stopped"));
    await expect(waiting).rejects.toThrow("stopped");
    limiter.release(slot, false);
    await limiter.acquire();
  });
});
