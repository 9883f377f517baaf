import { checkEvents } from "@ferry/tiktok-sandbox";
import { SEED, seedNote } from "@ferry/testkit/seed";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createMapper, primaryKeyHash } from "./mapper.js";
import { REJECT_REASONS } from "./reasons.js";

const NOW = 1_764_000_000;

/** Whatever a warehouse driver might hand over, and worse. */
const hostile = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.string({ unit: "binary", maxLength: 64 }),
  fc.string({
    unit: fc.constantFrom("\u0000", "\n", "\t", "\u001f", "\u200b", "\ufeff", " ", "@", ".", "+", "0", "6", "é", "😀", "\ud800"),
    maxLength: 40,
  }),
  fc.nat(20).map((n) => "x".repeat(n * 5000)),
  fc.double(),
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    2 ** 53 + 1,
    1e308,
  ),
  fc.bigInt(),
  fc.integer(),
  fc.date({ min: new Date(0), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: false }),
  fc.constantFrom(
    "1970-01-01 00:00:00",
    "9999-12-31 23:59:59",
    "2025-02-30",
    "0000-00-00 00:00:00",
    "2025-11-24T10:00:00+99:99",
    "١٢٣",
    "NaN",
    "Infinity",
    "1e400",
    "-0",
  ),
  fc.constantFrom(
    " Ann@Example.com ",
    "a@b.co",
    "+33 6 12 34 56 78",
    "0033612345678",
    "06 12 34 56 78",
    "+1 202 456 1111",
    "EUR",
    "eur",
    "12.50",
    "12,50",
    "0",
  ),
  fc.uint8Array({ maxLength: 16 }).map((a) => Buffer.from(a)),
  fc.object({ maxDepth: 1 }),
  fc.array(fc.integer(), { maxLength: 3 }),
);

const recent = fc.integer({ min: NOW - 27 * 86_400, max: NOW }).map((s) => new Date(s * 1000));

describe(`mapping hostile rows (${seedNote})`, () => {
  const map = createMapper({
    activation: "hostile",
    event: "CompletePayment",
    mapping: {
      event_time: "at",
      email: "email",
      phone: "phone",
      external_id: "ext",
      value: "amount",
      currency: "cur",
      num_items: "items",
      order_id: "order",
      shop_id: "shop",
    },
    defaultRegion: "FR",
    maxEventAgeDays: 28,
    now: NOW,
  });

  it("never throws; every event it makes passes the sandbox's independent contract; every refusal has a known reason", () => {
    fc.assert(
      fc.property(
        fc.record({
          at: fc.oneof(hostile, recent),
          email: hostile,
          phone: hostile,
          ext: hostile,
          amount: hostile,
          cur: hostile,
          items: hostile,
          order: hostile,
          shop: hostile,
          pk: fc.anything(),
        }),
        (row) => {
          const result = map(row, primaryKeyHash([row.pk]));
          if (!result.ok) {
            expect(Object.keys(REJECT_REASONS)).toContain(result.reason);
            return;
          }
          expect(checkEvents([result.event], { now: NOW })).toEqual({ ok: true });
          // No raw identifier travels: only digests of them. (The same text in a column mapped
          // to order_id or shop_id is the user's order or shop id, and sent as such.)
          const sent = JSON.stringify(result.event);
          const plainFields = [row.order, row.shop].flatMap((v) => (typeof v === "string" ? [v.trim()] : []));
          for (const raw of [row.email, row.phone, row.ext]) {
            if (typeof raw === "string" && raw.trim().length >= 8 && !/^[0-9a-f]+$/i.test(raw.trim()) && !plainFields.includes(raw.trim()))
              expect(sent).not.toContain(raw.trim());
          }
        },
      ),
      { seed: SEED, numRuns: 2000 },
    );
  });
});
