import { describe, expect, it } from "vitest";
import { InFlightLimiter } from "./limiter.js";

describe("InFlightLimiter", () => {
  it("never lets more than the limit in flight, and wakes waiters in order", async () => {
    const limiter = new InFlightLimiter(2);
    const order: number[] = [];
    await limiter.acquire();
    await limiter.acquire();
    const third = limiter.acquire().then(() => order.push(3));
    const fourth = limiter.acquire().then(() => order.push(4));
    await Promise.resolve();
    expect(order).toEqual([]);
    limiter.release(false);
    await third;
    expect(order).toEqual([3]);
    limiter.release(false);
    await fourth;
    expect(order).toEqual([3, 4]);
    expect(limiter.peak).toBe(2);
  });

  it("halves on a throttle and grows by one after a round of clean answers, within 1 and the maximum", async () => {
    const limiter = new InFlightLimiter(8);
    const cycle = async (throttled: boolean) => {
      await limiter.acquire();
      limiter.release(throttled);
    };
    await cycle(true);
    expect(limiter.limit).toBe(4);
    await cycle(true);
    await cycle(true);
    await cycle(true);
    expect(limiter.limit).toBe(1);
    await cycle(false);
    expect(limiter.limit).toBe(2);
    for (let i = 0; i < 2; i++) await cycle(false);
    expect(limiter.limit).toBe(3);
    for (let i = 0; i < 100; i++) await cycle(false);
    expect(limiter.limit).toBe(8);
  });

  it("stops waiting when the run is stopped", async () => {
    const limiter = new InFlightLimiter(1);
    await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort(new Error("stopped"));
    await expect(waiting).rejects.toThrow("stopped");
    limiter.release(false);
    await limiter.acquire();
  });
});
