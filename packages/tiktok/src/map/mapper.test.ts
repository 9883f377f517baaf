import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createMapper, eventId, type MapperOptions } from "./mapper.js";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const NOW = Date.UTC(2025, 10, 25, 12) / 1000;
const base: MapperOptions = {
  activation: "pos-purchases",
  event: "CompletePayment",
  mapping: {
    event_time: "at",
    email: "email",
    phone: "phone",
    value: "amount",
    currency: "cur",
    num_items: "items",
    order_id: "order",
    shop_id: { const: "paris-01" },
  },
  defaultRegion: "FR",
  maxEventAgeDays: 28,
  now: NOW,
};
const row = {
  at: "2025-11-24 10:00:00",
  email: " Ann@Example.com ",
  phone: "06 12 34 56 78",
  amount: "19.90",
  cur: "eur",
  items: 2,
  order: 1001,
  secret_column: "never sent",
};
const PK = sha("1001");

describe("createMapper", () => {
  const map = createMapper(base);

  it("builds the exact TikTok event, hashed, with only mapped fields", () => {
    expect(map(row, PK)).toEqual({
      ok: true,
      event: {
        event: "CompletePayment",
        event_time: Date.UTC(2025, 10, 24, 10) / 1000,
        event_id: `pos-purchases:${PK.slice(0, 32)}`,
        user: { email: [sha("ann@example.com")], phone: [sha("+33612345678")] },
        properties: { value: 19.9, currency: "EUR", num_items: 2, order_id: "1001", shop_id: "paris-01" },
      },
    });
    expect(JSON.stringify(map(row, PK))).not.toContain("never sent");
  });

  it("omits absent optional fields rather than sending null or empty", () => {
    const result = map({ at: row.at, email: row.email, phone: null, amount: null, cur: "", items: undefined, order: "  " }, PK);
    expect(result).toEqual({
      ok: true,
      event: expect.objectContaining({ user: { email: [sha("ann@example.com")] }, properties: { shop_id: "paris-01" } }),
    });
  });

  it("keeps a zero value", () => {
    expect(map({ ...row, amount: 0 }, PK)).toMatchObject({ ok: true, event: { properties: { value: 0 } } });
  });

  it("sends with the phone when the email is invalid, and the reverse", () => {
    expect(map({ ...row, email: "nope" }, PK)).toMatchObject({ ok: true, event: { user: { phone: [sha("+33612345678")] } } });
    expect(map({ ...row, phone: "12" }, PK)).toMatchObject({ ok: true, event: { user: { email: [sha("ann@example.com")] } } });
  });

  it.each([
    [{ email: null, phone: null }, "missing_identifier", "email"],
    [{ email: "nope", phone: null }, "invalid_email", "email"],
    [{ email: null, phone: "12" }, "invalid_phone", "phone"],
    [{ at: null }, "invalid_event_time", "event_time"],
    [{ at: "soon" }, "invalid_event_time", "event_time"],
    [{ at: "2025-10-01 00:00:00" }, "event_too_old", "event_time"],
    [{ at: "2025-11-25 13:00:00" }, "event_in_future", "event_time"],
  ])("rejects %j as %s", (patch, reason, field) => {
    expect(map({ ...row, ...patch }, PK)).toEqual({ ok: false, reason, field });
  });

  const invalidProperties = [
    [{ amount: "1,5" }, "invalid_value", "value"],
    [{ cur: "EURO" }, "invalid_currency", "currency"],
    [{ items: 1.5 }, "invalid_num_items", "num_items"],
    [{ order: { id: 1 } }, "invalid_order_id", "order_id"],
  ] as const;

  it.each(invalidProperties)("sends %j without %s's field, and says so", (patch, reason, field) => {
    const result = map({ ...row, ...patch }, PK);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.dropped).toContainEqual({ field, reason });
    expect(result.event.properties).not.toHaveProperty(field);
    expect(result.event.user).toEqual({ email: [sha("ann@example.com")], phone: [sha("+33612345678")] });
  });

  it.each(invalidProperties)("with on_invalid_property: reject_row, rejects %j as %s", (patch, reason, field) => {
    const strict = createMapper({ ...base, onInvalidProperty: "reject_row" });
    expect(strict({ ...row, ...patch }, PK)).toEqual({ ok: false, reason, field });
  });

  it("never sends a value without its currency: an invalid or absent currency leaves the value out", () => {
    const invalid = map({ ...row, cur: "€" }, PK);
    expect(invalid).toMatchObject({
      ok: true,
      dropped: [
        { field: "currency", reason: "invalid_currency" },
        { field: "value", reason: "value_without_currency" },
      ],
    });
    expect(invalid.ok && invalid.event.properties).toEqual({ num_items: 2, order_id: "1001", shop_id: "paris-01" });
    const absentCurrency = map({ ...row, cur: null }, PK);
    expect(absentCurrency).toMatchObject({ ok: true, dropped: [{ field: "value", reason: "value_without_currency" }] });
    const alone = createMapper({ ...base, mapping: { event_time: "at", email: "email", value: "amount" } });
    const result = alone(row, PK);
    expect(result).toMatchObject({ ok: true, dropped: [{ field: "value", reason: "value_without_currency" }] });
    expect(result.ok && result.event).not.toHaveProperty("properties");
  });

  it("counts an invalid identifier left out when the other one carries the event", () => {
    expect(map({ ...row, email: "nope" }, PK)).toMatchObject({ ok: true, dropped: [{ field: "email", reason: "invalid_email" }] });
    const external = { ...base, mapping: { ...base.mapping, external_id: "crm" } };
    expect(createMapper(external)({ ...row, crm: { id: 1 } }, PK)).toMatchObject({
      ok: true,
      dropped: [{ field: "external_id", reason: "invalid_external_id" }],
    });
    expect(createMapper({ ...external, onInvalidProperty: "reject_row" })({ ...row, crm: { id: 1 } }, PK)).toEqual({
      ok: false,
      reason: "invalid_external_id",
      field: "external_id",
    });
  });

  it("reads each row's national phone number in its own region, from phone_region", () => {
    const regional = createMapper({
      ...base,
      defaultRegion: undefined,
      mapping: { event_time: "at", phone: "phone", phone_region: "country" },
    });
    expect(regional({ at: row.at, phone: "06 12 34 56 78", country: "fr" }, PK)).toMatchObject({
      ok: true,
      event: { user: { phone: [sha("+33612345678")] } },
    });
    expect(regional({ at: row.at, phone: "(415) 555-0132", country: "US" }, PK)).toMatchObject({
      ok: true,
      event: { user: { phone: [sha("+14155550132")] } },
    });
    // International numbers need no region; a national one without any says how to set it.
    expect(regional({ at: row.at, phone: "+33 6 12 34 56 78", country: null }, PK)).toMatchObject({ ok: true });
    expect(regional({ at: row.at, phone: "06 12 34 56 78", country: null }, PK)).toEqual({
      ok: false,
      reason: "phone_needs_region",
      field: "phone",
    });
    expect(regional({ at: row.at, phone: "06 12 34 56 78", country: "France" }, PK)).toEqual({
      ok: false,
      reason: "phone_needs_region",
      field: "phone",
    });
    // The default region applies where the row gives none.
    const withDefault = createMapper({
      ...base,
      defaultRegion: "US",
      mapping: { event_time: "at", phone: "phone", phone_region: "country" },
    });
    expect(withDefault({ at: row.at, phone: "(415) 555-0132", country: "" }, PK)).toMatchObject({ ok: true });
  });

  it("rejects a row without a primary key", () => {
    expect(map(row, null)).toEqual({ ok: false, reason: "missing_primary_key", field: "primary_key" });
  });

  it("accepts events within the skew and the window edges", () => {
    expect(map({ ...row, at: NOW + 299 }, PK).ok).toBe(true);
    expect(map({ ...row, at: NOW - 28 * 86400 }, PK).ok).toBe(true);
    expect(map({ ...row, at: NOW - 28 * 86400 - 1 }, PK)).toMatchObject({ reason: "event_too_old" });
  });

  it("hashes external_id only when mapped", () => {
    const withExternal = createMapper({ ...base, mapping: { ...base.mapping, external_id: "crm" } });
    expect(withExternal({ ...row, crm: " c-9 " }, PK)).toMatchObject({ ok: true, event: { user: { external_id: [sha("c-9")] } } });
    const unmapped = map({ ...row, crm: "c-9" }, PK);
    expect(unmapped.ok && unmapped.event.user).not.toHaveProperty("external_id");
  });
});

describe("eventId", () => {
  it("is deterministic, free of the key's values, and distinct per activation", () => {
    expect(eventId("a", PK)).toBe(eventId("a", PK));
    expect(eventId("a", PK)).not.toBe(eventId("b", PK));
    expect(eventId("a", PK)).not.toContain("1001");
    expect(eventId("a", PK)).toMatch(/^a:[0-9a-f]{32}$/);
  });
});
