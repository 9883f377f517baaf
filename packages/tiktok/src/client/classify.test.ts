import { describe, expect, it } from "vitest";
import { classify, throttlePeriod } from "./classify.js";

describe("TikTok's answers", () => {
  it("reads which limit a throttled answer met from its message", () => {
    expect(throttlePeriod("Too many requests: the daily limit of 5 requests was reached")).toBe("day");
    expect(throttlePeriod("Request limit per day exceeded")).toBe("day");
    expect(throttlePeriod("Too many requests: the limit of 10 requests a minute was reached")).toBe("minute");
    expect(throttlePeriod("Too many requests. Please retry in some time.")).toBe("second");
    // "today" is not the daily limit.
    expect(throttlePeriod("Too many requests today, retry in a second")).toBe("second");
  });

  it("sorts throttling as retryable, whether TikTok's code or a gateway's 429", () => {
    expect(classify(40100, 200)).toBe("retryable");
    expect(classify(undefined, 429)).toBe("retryable");
  });
});
