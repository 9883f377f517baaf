import type { EventName, Mapping } from "@ferry/schema";
import type { TikTokEvent } from "../types.js";
import { sha256Hex } from "./hash.js";
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
import type { RejectReason } from "./reasons.js";

export type Row = Readonly<Record<string, unknown>>;
export type MapResult = { ok: true; event: TikTokEvent } | { ok: false; reason: RejectReason; field: string };

export interface MapperOptions {
  activation: string;
  event: EventName;
  mapping: Mapping;
  /** ISO 3166 region for national phone numbers. */
  defaultRegion?: string | undefined;
  maxEventAgeDays: number;
  /** "Now" in Unix seconds, fixed for a run so results do not drift within it. */
  now: number;
  /** Tolerated clock skew for event times ahead of now. */
  futureSkewSeconds?: number;
}

/** Deterministic, PII-free: derived from the activation name and the primary-key hash. */
export function eventId(activation: string, primaryKeyHash: string): string {
  return `${activation}:${primaryKeyHash.slice(0, 32)}`;
}

/** Hash of a primary key given as values (for callers without a warehouse-computed hash). */
export function primaryKeyHash(values: readonly unknown[]): string {
  return sha256Hex(values.map(keyText).join("\u001f"));
}

/** Text of a key part that cannot throw (String() does on objects with a broken toString). */
function keyText(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

const absent = (v: unknown) => v === null || v === undefined || (typeof v === "string" && v.trim() === "");

type Getter<T> = (row: Row) => { value?: T; bad?: true };

/** A field read from a column through a parser, or a constant; absent values are omitted. */
function field<T>(source: string | { const: unknown } | undefined, parse: (raw: unknown) => T | undefined): Getter<T> | undefined {
  if (source === undefined) return undefined;
  if (typeof source === "object") {
    const value = parse(source.const);
    return () => (value === undefined ? { bad: true } : { value });
  }
  return (row) => {
    const raw = row[source];
    if (absent(raw)) return {};
    const value = parse(raw);
    return value === undefined ? { bad: true } : { value };
  };
}

/**
 * Compiles a mapping into a row → event function: column lookups and parsers are resolved once,
 * so the per-row work is only reading, normalising and hashing.
 */
export function createMapper(options: MapperOptions): (row: Row, pkHash: string | null | undefined) => MapResult {
  const { mapping, activation } = options;
  const oldest = options.now - options.maxEventAgeDays * 86_400;
  const newest = options.now + (options.futureSkewSeconds ?? 300);
  const region = options.defaultRegion;
  const email = field(mapping.email, normalizeEmail);
  const phone = field(mapping.phone, (raw) => normalizePhone(raw, region));
  const externalId = field(mapping.external_id, normalizeExternalId);
  const value = field(mapping.value, parseValue);
  const currency = field(mapping.currency, parseCurrency);
  const numItems = field(mapping.num_items, parseCount);
  const orderId = field(mapping.order_id, parseIdText);
  const shopId = field(mapping.shop_id, parseIdText);
  const properties = [
    ["value", value, "invalid_value"],
    ["currency", currency, "invalid_currency"],
    ["num_items", numItems, "invalid_num_items"],
    ["order_id", orderId, "invalid_order_id"],
    ["shop_id", shopId, "invalid_shop_id"],
  ] as const;

  return (row, pkHash) => {
    if (!pkHash) return { ok: false, reason: "missing_primary_key", field: "primary_key" };
    const time = parseEventTime(row[mapping.event_time]);
    if (time === undefined) return { ok: false, reason: "invalid_event_time", field: "event_time" };
    if (time < oldest) return { ok: false, reason: "event_too_old", field: "event_time" };
    if (time > newest) return { ok: false, reason: "event_in_future", field: "event_time" };

    const user: TikTokEvent["user"] = {};
    const e = email?.(row);
    const p = phone?.(row);
    if (e?.value !== undefined) user.email = [hashIdentifier(e.value)];
    if (p?.value !== undefined) user.phone = [hashIdentifier(p.value)];
    if (user.email === undefined && user.phone === undefined) {
      // An invalid identifier says more than "missing"; a valid other identifier still sends.
      if (e?.bad) return { ok: false, reason: "invalid_email", field: "email" };
      if (p?.bad) return { ok: false, reason: "invalid_phone", field: "phone" };
      return { ok: false, reason: "missing_identifier", field: "email" };
    }
    const x = externalId?.(row);
    if (x?.bad) return { ok: false, reason: "invalid_external_id", field: "external_id" };
    if (x?.value !== undefined) user.external_id = [hashIdentifier(x.value)];

    let props: NonNullable<TikTokEvent["properties"]> | undefined;
    for (const [name, get, reason] of properties) {
      if (!get) continue;
      const got = get(row);
      if (got.bad) return { ok: false, reason, field: name };
      if (got.value !== undefined) (props ??= {})[name] = got.value as never;
    }

    const event: TikTokEvent = { event: options.event, event_time: time, event_id: eventId(activation, pkHash), user };
    if (props) event.properties = props;
    return { ok: true, event };
  };
}
