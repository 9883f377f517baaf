import { createHash } from "node:crypto";
import fc from "fast-check";
import { SEED, seedNote } from "@ferry/testkit";
import { expect, it } from "vitest";
import { SeenKeys } from "./seen-keys.js";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

it(`answers as a Set of the keys would, through growth (${seedNote})`, () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 20_000 }), (ids) => {
      const seen = new SeenKeys();
      const set = new Set<string>();
      for (const id of ids) {
        const key = sha(String(id));
        expect(seen.add(key)).toBe(!set.has(key));
        set.add(key);
      }
      expect(seen.size).toBe(set.size);
    }),
    { seed: SEED, numRuns: 30 },
  );
});

it("tells apart keys that share the slot, and keys equal in one word only", () => {
  const seen = new SeenKeys();
  const a = `00000001${"0".repeat(8)}${"a".repeat(48)}`;
  const b = `00000002${"0".repeat(8)}${"b".repeat(48)}`; // same low word: same slot
  const c = `00000001${"0".repeat(7)}1${"c".repeat(48)}`; // same high word
  expect([seen.add(a), seen.add(b), seen.add(c)]).toEqual([true, true, true]);
  expect([seen.add(a), seen.add(b), seen.add(c)]).toEqual([false, false, false]);
  expect(seen.add("0".repeat(64))).toBe(true);
  expect(seen.add("0".repeat(64))).toBe(false);
});
