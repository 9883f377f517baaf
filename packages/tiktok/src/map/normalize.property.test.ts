import { SEED, seedNote } from "@ferry/testkit/seed";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseEventTime } from "./normalize.js";

// parseEventTime reads "YYYY-MM-DD HH:MM:SS" by hand and every other shape with a regular
// expression. The oracle is Date, fields set one by one (Date.UTC would read years 0-99 as
// 1900-1999), and a date is valid when Date gives back the fields it was given.

const pad = (n: number, width: number) => String(n).padStart(width, "0");

function oracle(year: number, month: number, day: number, hour: number, minute: number, second: number): number | undefined {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  const same =
    d.getUTCFullYear() === year &&
    d.getUTCMonth() === month - 1 &&
    d.getUTCDate() === day &&
    d.getUTCHours() === hour &&
    d.getUTCMinutes() === minute &&
    d.getUTCSeconds() === second;
  return same ? d.getTime() / 1000 : undefined;
}

describe(`event times read by hand as the general reader reads them (${seedNote})`, () => {
  it("every shape of the same instant gives the oracle's seconds, or undefined for an impossible date or time", () => {
    fc.assert(
      fc.property(
        // Centuries, leap years, February and the ends of months, often.
        fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(0, 99, 100, 400, 1600, 1900, 1969, 1970, 2000, 2024, 2100, 9999)),
        fc.oneof(fc.integer({ min: 0, max: 13 }), fc.constant(2)),
        fc.oneof(fc.integer({ min: 0, max: 32 }), fc.constantFrom(28, 29, 30, 31)),
        fc.integer({ min: 0, max: 24 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 60 }),
        (year, month, day, hour, minute, second) => {
          const date = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
          const time = `${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}`;
          const expected = oracle(year, month, day, hour, minute, second);
          // The first three take the hand-written path, the others the regular expression.
          for (const text of [`${date} ${time}`, `${date}T${time}`, `${date}T${time}Z`, `${date}T${time}+00:00`, `${date} ${time}.000`]) {
            expect([text, parseEventTime(text)]).toEqual([text, expected]);
          }
        },
      ),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it("leaves text of other shapes to the general reader", () => {
    const t = Date.UTC(2025, 10, 24, 10, 30, 0) / 1000;
    expect(parseEventTime("2025-11-24 10:30:00+02")).toBe(t - 7200);
    expect(parseEventTime(" 2025-11-24 10:30:00 ")).toBe(t);
    expect(parseEventTime("2025-11-24 10:30:0x")).toBeUndefined();
    expect(parseEventTime("2025/11/24 10:30:00")).toBeUndefined();
    expect(parseEventTime("+025-11-24 10:30:00")).toBeUndefined();
    expect(parseEventTime("2025-11-24 10:30:00z")).toBe(t);
  });
});
