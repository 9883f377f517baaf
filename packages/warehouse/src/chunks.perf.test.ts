import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { expect, it } from "vitest";
import { ChunkBuilder, ownText } from "./chunks.js";

// Pins bench/FINDINGS.md#own-text: keys and probes kept until TikTok answers hold on to no text
// they were cut from (the COPY reader's 64 KB of input each).
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const heapAfterGc = () => {
  gc();
  return process.memoryUsage().heapUsed;
};
/** As the COPY reader gives them: fields sliced from a 64 KB text of their own (flat, as its search leaves it). */
const slicedFields = (n: number) => {
  const text = `-88173688934618${String(n).padStart(5, "0")}\t-1234567890123456789\t`.padEnd(64 * 1024, "x");
  text.indexOf("\n");
  return [text.slice(0, 20), text.slice(21, 41)] as const;
};
// 200 texts of 64 KB would be 13 MB; the values alone, some 10-20 KB.
const keepsNoText = <T>(make: (n: number) => T): T[] => {
  const before = heapAfterGc();
  const kept = Array.from({ length: 200 }, (_, n) => make(n));
  expect(heapAfterGc() - before).toBeLessThan(2 * 1024 * 1024);
  return kept;
};

it("ownText keeps none of the text its value was sliced from", () => {
  const kept = keepsNoText((n) => ownText(slicedFields(n)[0]));
  expect(kept[7]).toBe("-8817368893461800007");
});

it("a chunk's probes are strings of their own", () => {
  const probes = keepsNoText((n) => {
    const builder = new ChunkBuilder(1);
    const [a, b] = slicedFields(n);
    builder.add({}, null, undefined, a, b, undefined, undefined);
    return builder.take().probes[0];
  });
  expect(probes[7]).toBe("-8817368893461800007/-1234567890123456789");
});
