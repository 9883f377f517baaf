import { SEED, seedNote } from "@ferry/testkit/seed";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FirstSeen, hashOf } from "./first-seen.js";

/** The sandbox's deduplication as it was written with a Map: the reference. */
function reference() {
  const first = new Map<string, number>();
  return {
    seenWithin(id: string, at: number, window: number) {
      const t = first.get(id);
      if (t !== undefined && at - t < window) return true;
      first.set(id, at);
      return false;
    },
    ids: () => [...first.keys()],
  };
}

/** Two different ids of the same 32-bit hash, found the way a birthday attack finds them. */
function collidingPair(): [string, string] {
  const byHash = new Map<number, string>();
  for (let i = 0; ; i++) {
    const id = `order-${i}`;
    const other = byHash.get(hashOf(id));
    if (other !== undefined) return [other, id];
    byHash.set(hashOf(id), id);
  }
}

describe(`FirstSeen (${seedNote})`, () => {
  it("answers as a Map of first sightings would, through growth, expiry and renewal", () => {
    const ids = fc.oneof(
      fc.constantFrom("a", "b", "A", "bench:0", "é", "\u{1F600}", ""),
      fc.string({ maxLength: 12 }),
      fc.integer({ min: 0, max: 3000 }).map((n) => `id-${n}`),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(ids, fc.integer({ min: -5, max: 50 })), { maxLength: 3000 }),
        fc.integer({ min: 1, max: 60 }),
        (steps, window) => {
          const table = new FirstSeen();
          const model = reference();
          let at = 1_000;
          for (const [id, dt] of steps) {
            at += dt;
            expect(table.seenWithin(id, at, window)).toBe(model.seenWithin(id, at, window));
          }
          expect(table.seenIds()).toEqual(model.ids());
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
  });

  it("keeps a hundred thousand ids apart, and knows each again", () => {
    const table = new FirstSeen();
    let first = 0;
    for (let i = 0; i < 100_000; i++) if (!table.seenWithin(`bench:${i}`, 10, 100)) first++;
    expect(first).toBe(100_000);
    let again = 0;
    for (let i = 0; i < 100_000; i++) if (table.seenWithin(`bench:${i}`, 20, 100)) again++;
    expect(again).toBe(100_000);
    expect(table.seenIds()).toHaveLength(100_000);
  });

  it("tells apart two ids whose hashes are equal", () => {
    const [a, b] = collidingPair();
    expect(hashOf(a)).toBe(hashOf(b));
    const table = new FirstSeen();
    expect(table.seenWithin(a, 1, 100)).toBe(false);
    expect(table.seenWithin(b, 1, 100)).toBe(false);
    expect(table.seenWithin(a, 2, 100)).toBe(true);
    expect(table.seenWithin(b, 2, 100)).toBe(true);
    expect(table.seenIds()).toEqual([a, b]);
  });
});
