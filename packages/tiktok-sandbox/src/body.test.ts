import { SEED, seedNote } from "@ferry/testkit/seed";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseJsonBody, wholeParses } from "./body.js";

/** The bytes cut into chunks at the given offsets, as a socket might deliver them. */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const c of at) {
    chunks.push(bytes.subarray(from, c));
    from = c;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

/** What JSON.parse of the whole text gives: the value, or the fact that it throws. */
function reference(bytes: Buffer): { value: unknown } | { throws: true } {
  try {
    return { value: JSON.parse(bytes.toString("utf8")) };
  } catch {
    return { throws: true };
  }
}

function expectSameAsJsonParse(bytes: Buffer, cuts: number[], groupBytes: number) {
  const expected = reference(bytes);
  if ("throws" in expected) {
    expect(() => parseJsonBody(chunked(bytes, cuts), groupBytes)).toThrow(SyntaxError);
    return;
  }
  const value = parseJsonBody(chunked(bytes, cuts), groupBytes);
  expect(value).toStrictEqual(expected.value);
  // Same keys in the same order, own "__proto__" included (toStrictEqual does not look at order).
  expect(JSON.stringify(value)).toBe(JSON.stringify(expected.value));
}

// Strings that look like the places a group is cut, or like JSON's own punctuation.
const tricky = fc.constantFrom("},{", '"},{"', "\\", '\\"', "]", "[", "}", "{", ",", ":", "é", "😀", "\u2028", "");
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.array(tricky, { maxLength: 6 }).map((parts) => parts.join("")),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  leaf: fc.oneof(text, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null)),
  array: fc.array(tie("node"), { maxLength: 4 }),
  object: fc.dictionary(fc.oneof(text, fc.constantFrom("data", "__proto__", "event")), tie("node"), { maxKeys: 4 }),
  node: fc.oneof({ depthSize: "small" }, tie("leaf"), tie("array"), tie("object")),
})).node;
/** A body: other members around a `data` array of events, of other values now and then. */
const body = fc
  .record({
    before: fc.dictionary(text, value, { maxKeys: 3 }),
    data: fc.array(fc.oneof({ weight: 4, arbitrary: fc.dictionary(text, value, { maxKeys: 5 }) }, { weight: 1, arbitrary: value }), {
      maxLength: 12,
    }),
    after: fc.dictionary(text, value, { maxKeys: 3 }),
  })
  .map(({ before, data, after }) => ({ ...before, data, ...after }));
const layout = fc.constantFrom<(v: unknown) => string>(
  (v) => JSON.stringify(v),
  (v) => JSON.stringify(v, null, 1),
  (v) => ` \n${JSON.stringify(v)}\t\r\n`,
);
const cuts = fc.array(fc.nat(), { maxLength: 5 });
const groupBytes = fc.oneof(fc.constant(0), fc.nat(64), fc.constant(48 * 1024));

describe(`request bodies read in pieces, as JSON.parse reads them whole (${seedNote})`, () => {
  it("gives the same value for any JSON body, however it is chunked and grouped", () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 5, arbitrary: body }, { weight: 1, arbitrary: value }), layout, cuts, groupBytes, (v, write, c, g) =>
        expectSameAsJsonParse(Buffer.from(write(v)), c, g),
      ),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it("throws where JSON.parse throws, and agrees with it where a damaged body is still JSON", () => {
    const damage = fc.record({
      at: fc.nat(),
      remove: fc.nat(3),
      insert: fc.array(fc.constantFrom(...'[]{},:"\\ 0aé'), { maxLength: 2 }).map((chars) => chars.join("")),
    });
    fc.assert(
      fc.property(body, damage, cuts, groupBytes, (v, d, c, g) => {
        const original = JSON.stringify(v);
        const at = d.at % (original.length + 1);
        expectSameAsJsonParse(Buffer.from(original.slice(0, at) + d.insert + original.slice(at + d.remove)), c, g);
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it("reads a body of a thousand events in groups of the real size", () => {
    const events = Array.from({ length: 1000 }, (_, i) => ({
      event: "CompletePayment",
      event_time: 1_764_000_000 + i,
      event_id: `order-${i}`,
      user: { email: "a".repeat(64), phone: "b".repeat(64) },
      properties: { currency: "EUR", value: i / 4, order_id: `order "${i} ]} \\` },
    }));
    const bytes = Buffer.from(JSON.stringify({ event_source: "offline", event_source_id: "7100000000000000001", data: events }));
    expect(bytes.length).toBeGreaterThan(4 * 48 * 1024);
    const before = wholeParses.count;
    expectSameAsJsonParse(bytes, [65_536, 131_072], 48 * 1024);
    expect(wholeParses.count, "read in groups, not as one string").toBe(before);
  });

  it("reads a body larger than the buffer it reuses, and a small one after it", () => {
    const big = Buffer.from(JSON.stringify({ data: Array.from({ length: 200 }, (_, i) => ({ i, text: `${i}`.repeat(30_000) })) }));
    expect(big.length).toBeGreaterThan(4 * 1024 * 1024);
    const before = wholeParses.count;
    expectSameAsJsonParse(big, [70_000], 48 * 1024);
    expectSameAsJsonParse(Buffer.from('{"data":[{"a":1},{"b":2}]}'), [], 0);
    expect(wholeParses.count).toBe(before);
  });

  it("keeps JSON.parse's reading of bytes that are not valid UTF-8, split across chunks", () => {
    const bytes = Buffer.concat([
      Buffer.from('{"data":[{"a":"'),
      Buffer.from([0xe2, 0x82]),
      Buffer.from('"},{"b":"\u20ac'),
      Buffer.from('"}]}'),
    ]);
    for (let cut = 0; cut <= bytes.length; cut++) expectSameAsJsonParse(bytes, [cut], 0);
    expectSameAsJsonParse(Buffer.from('\ufeff{"data":[]}'), [], 0);
  });

  it("answers bodies that are empty, not objects or not JSON as JSON.parse does", () => {
    const bodies = ["", " ", "[]", "[{},{}]", '"data"', "1", "null", '{"data":[],}', '{"data":[1,]}', '{"data":[1]]}', '{"data":{}}'];
    // The data array closed by a brace: its last group must not pass for an array.
    bodies.push('{"data":[1},"x":2}', '{"data":[{"a":1}},"x":2}', '{"data":[{"a":1},{"b":2}},"x":2}');
    for (const t of bodies) expectSameAsJsonParse(Buffer.from(t), [], 0);
  });
});
