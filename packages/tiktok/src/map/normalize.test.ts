import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  hashIdentifier,
  normalizeEmail,
  normalizeExternalId,
  normalizePhone,
  parseCount,
  parseCurrency,
  parseEventTime,
  parseIdText,
  parseValue,
} from "./normalize.js";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const DIGEST = sha("someone@example.com");

describe("email", () => {
  it.each([
    ["  John.Doe@Example.COM ", "john.doe@example.com"],
    ["\tA+tag@sub.example.co.uk\n", "a+tag@sub.example.co.uk"],
    [DIGEST.toUpperCase(), DIGEST],
    ["not-an-email", undefined],
    ["a@b", undefined],
    ["two words@example.com", undefined],
    ["a@@example.com", undefined],
    ["a@example..com", undefined],
    [`${"x".repeat(250)}@example.com`, undefined],
    [42, undefined],
  ])("%j → %j", (raw, expected) => expect(normalizeEmail(raw)).toBe(expected));

  it("hashes the normalised address, and passes digests through unhashed", () => {
    expect(hashIdentifier(normalizeEmail(" Someone@Example.com ")!)).toBe(DIGEST);
    expect(hashIdentifier(normalizeEmail(DIGEST.toUpperCase())!)).toBe(DIGEST);
  });
});

describe("phone", () => {
  it.each([
    ["06 12 34 56 78", "FR", "+33612345678"],
    ["06.12.34.56.78", "FR", "+33612345678"],
    ["+33 6 12 34 56 78", undefined, "+33612345678"],
    ["0033 6 12 34 56 78", undefined, "+33612345678"],
    ["0033612345678", "US", "+33612345678"],
    ["+33 (0)6 12 34 56 78", "FR", "+33612345678"],
    ["(202) 456-1111", "US", "+12024561111"],
    ["+1 202-456-1111", "FR", "+12024561111"],
    ["030 1234567", "DE", "+49301234567"],
    ["06 12 34 56 78", undefined, undefined],
    ["12", "FR", undefined],
    ["+33 6 12", undefined, undefined],
    ["call me", "FR", undefined],
    [33612345678, "FR", "+33612345678"], // numeric columns often hold the number without its "+"
  ])("%j in %s → %j", (raw, region, expected) => expect(normalizePhone(raw, region)).toBe(expected));

  it("passes digests through", () => expect(normalizePhone(DIGEST.toUpperCase(), "FR")).toBe(DIGEST));
});

describe("external_id", () => {
  it.each([
    ["  crm-42 ", "crm-42"],
    [42, "42"],
    [42n, "42"],
    ["   ", undefined],
    [{}, undefined],
  ])("%s → %s", (raw, expected) => expect(normalizeExternalId(raw)).toBe(expected));
});

describe("event_time", () => {
  const t = Date.UTC(2025, 10, 24, 10, 30, 0) / 1000;
  it.each([
    [new Date(t * 1000 + 999), t],
    ["2025-11-24T10:30:00Z", t],
    ["2025-11-24T10:30:00.123456Z", t],
    ["2025-11-24T12:30:00+02:00", t],
    ["2025-11-24T05:30:00-0500", t],
    ["2025-11-24T10:30:00", t],
    ["2025-11-24 10:30:00", t],
    ["2025-11-24 10:30:00+00", t],
    ["2025-11-24", Date.UTC(2025, 10, 24) / 1000],
    [t, t],
    [t * 1000, t],
    [t * 1_000_000, t],
    [String(t), t],
    [BigInt(t), t],
    ["2025-02-29 10:00:00", undefined],
    ["2024-02-29 10:00:00", Date.UTC(2024, 1, 29, 10) / 1000],
    ["2025-13-01", undefined],
    ["2025-11-24 24:00:00", undefined],
    ["24/11/2025", undefined],
    ["yesterday", undefined],
    [new Date(Number.NaN), undefined],
    [Number.NaN, undefined],
    [-5, undefined],
    [null, undefined],
  ])("%s → %s", (raw, expected) => expect(parseEventTime(raw)).toBe(expected));
});

describe("value, num_items, currency, ids", () => {
  it.each([
    [19.9, 19.9],
    ["19.90", 19.9],
    [" 7 ", 7],
    [0, 0],
    ["0", 0],
    ["0.00", 0],
    [12n, 12],
    ["1,234.50", undefined],
    ["1 234", undefined],
    ["12,5", undefined],
    ["1e3", undefined],
    [-1, undefined],
    [Number.NaN, undefined],
    [Number.POSITIVE_INFINITY, undefined],
    ["abc", undefined],
    [true, undefined],
  ])("value %s → %s", (raw, expected) => expect(parseValue(raw)).toBe(expected));

  it.each([
    [3, 3],
    ["3", 3],
    [0, 0],
    [2.5, undefined],
    ["2.5", undefined],
    [-1, undefined],
  ])("num_items %j → %j", (raw, expected) => expect(parseCount(raw)).toBe(expected));

  it.each([
    [" eur ", "EUR"],
    ["USD", "USD"],
    ["jpy", "JPY"],
    ["EURO", undefined],
    ["ZZZ", undefined],
    ["€", undefined],
    [978, undefined],
  ])("currency %j → %j", (raw, expected) => expect(parseCurrency(raw)).toBe(expected));

  it.each([
    [" o-1 ", "o-1"],
    [7000000000000000001n, "7000000000000000001"],
    [42, "42"],
    [{}, undefined],
    ["", undefined],
  ])("id %s → %s", (raw, expected) => expect(parseIdText(raw)).toBe(expected));
});
