import { closest, EVENT_NAMES, type EventName, type EventSpec, type Mapping } from "@ferry/schema";
import type { TikTokEvent } from "../types.js";
import { parseContents, parseContentType, parseEventId, parseEventName, parseFlag, parseText } from "./content.js";
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

/** Why an optional property (or a second identifier) was left out of an event that was sent. */
export type DropReason =
  | "invalid_email"
  | "invalid_phone"
  | "phone_needs_region"
  | "invalid_external_id"
  | "invalid_value"
  | "invalid_currency"
  | "invalid_num_items"
  | "invalid_order_id"
  | "invalid_shop_id"
  | "invalid_contents"
  | "invalid_content_type"
  | "invalid_description"
  | "invalid_query"
  | "invalid_limited_data_use"
  | "value_without_currency";
export interface Dropped {
  field: string;
  reason: DropReason;
}
export type MapResult =
  | {
      ok: true;
      event: TikTokEvent;
      dropped?: Dropped[];
      /** Keys of `contents` items TikTok does not know, left out (names only: never values). */
      unknownContentKeys?: string[];
    }
  | {
      ok: false;
      reason: RejectReason;
      field: string;
      /** What would fix it, never the row's value (e.g. the closest accepted event name). */
      hint?: string;
    };

export interface MapperOptions {
  activation: string;
  /** One name for every row, or each row's own from a column. */
  event: EventSpec;
  mapping: Mapping;
  /** ISO 3166 region for national phone numbers, where the row's phone_region column gives none. */
  defaultRegion?: string | undefined;
  /** An invalid optional property: leave it out and send (default), or reject the row. */
  onInvalidProperty?: "send_without" | "reject_row";
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

type Got<T> = { value?: T; bad?: DropReason };
type Getter<T> = (row: Row) => Got<T>;

/** A field read from a column through a parser, or a constant; absent values are omitted. */
function field<T>(
  source: string | { const: unknown } | undefined,
  parse: (raw: unknown, row: Row) => T | undefined,
  bad: DropReason | ((raw: unknown, row: Row) => DropReason),
): Getter<T> | undefined {
  if (source === undefined) return undefined;
  const why = typeof bad === "string" ? () => bad : bad;
  if (typeof source === "object") {
    const got: Got<T> = {};
    const value = parse(source.const, {});
    if (value === undefined) got.bad = why(source.const, {});
    else got.value = value;
    return () => got;
  }
  return (row) => {
    const raw = row[source];
    if (absent(raw)) return {};
    const value = parse(raw, row);
    return value === undefined ? { bad: why(raw, row) } : { value };
  };
}

const REGION = /^[A-Z]{2}$/;

type Rejected = Extract<MapResult, { ok: false }>;
const rejected = (reason: RejectReason, field: string): Rejected => ({ ok: false, reason, field });

/** The event's name from its column: one TikTok accepts, or a rejection naming the closest one. */
function eventNameOf(raw: unknown): EventName | Rejected {
  const parsed = parseEventName(raw);
  if (parsed !== undefined) return parsed;
  // The closest accepted name helps; the value itself is never repeated (it is the row's).
  const near = typeof raw === "string" ? closest(raw.trim(), EVENT_NAMES) : undefined;
  return { ok: false, reason: "invalid_event", field: "event", ...(near ? { hint: `closest accepted name: ${near}` } : {}) };
}

/** The user's own event_id: deduplication was asked for with it, so a missing one is not replaced by Ferry's. */
const eventIdOf = (raw: unknown): string | Rejected => parseEventId(raw) ?? rejected("invalid_event_id", "event_id");

/** Unix seconds within TikTok's window, or why not. */
function eventTimeOf(raw: unknown, oldest: number, newest: number): number | Rejected {
  const time = parseEventTime(raw);
  if (time === undefined) return rejected("invalid_event_time", "event_time");
  if (time < oldest) return rejected("event_too_old", "event_time");
  if (time > newest) return rejected("event_in_future", "event_time");
  return time;
}

/** Each mapped field's reader, resolved once: column lookups, parsers and rejection reasons. */
function compileFields(options: MapperOptions) {
  const { mapping } = options;
  const regionColumn = mapping.phone_region;
  const regionOf = (row: Row): string | undefined => {
    if (regionColumn !== undefined) {
      const raw = row[regionColumn];
      if (typeof raw === "string") {
        const code = raw.trim().toUpperCase();
        if (REGION.test(code)) return code;
      }
    }
    return options.defaultRegion;
  };
  const phone = field(
    mapping.phone,
    (raw, row) => normalizePhone(raw, regionOf(row)),
    // A number without a country code cannot be read without a region: say that, not "invalid".
    (raw, row) =>
      regionOf(row) === undefined && typeof raw !== "bigint" && !/^\s*(\+|00)/.test(String(raw)) ? "phone_needs_region" : "invalid_phone",
  );
  const properties = [
    ["value", field(mapping.value, parseValue, "invalid_value")],
    ["currency", field(mapping.currency, parseCurrency, "invalid_currency")],
    ["num_items", field(mapping.num_items, parseCount, "invalid_num_items")],
    ["order_id", field(mapping.order_id, parseIdText, "invalid_order_id")],
    ["shop_id", field(mapping.shop_id, parseIdText, "invalid_shop_id")],
    ["content_type", field(mapping.content_type, parseContentType, "invalid_content_type")],
    ["description", field(mapping.description, parseText, "invalid_description")],
    ["query", field(mapping.query, parseText, "invalid_query")],
  ] as const;
  return {
    email: field(mapping.email, normalizeEmail, "invalid_email"),
    phone,
    externalId: field(mapping.external_id, normalizeExternalId, "invalid_external_id"),
    properties,
    contents: field(mapping.contents, parseContents, "invalid_contents"),
    limitedDataUse: field(mapping.limited_data_use, parseFlag, "invalid_limited_data_use"),
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
  const rejectRow = options.onInvalidProperty === "reject_row";
  const { email, phone, externalId, properties, contents, limitedDataUse } = compileFields(options);
  const eventIdColumn = mapping.event_id;
  const spec = options.event;
  const eventColumn = typeof spec === "string" ? undefined : spec.column;

  return (row, pkHash) => {
    if (!pkHash) return { ok: false, reason: "missing_primary_key", field: "primary_key" };
    const name = eventColumn === undefined ? (spec as EventName) : eventNameOf(row[eventColumn]);
    if (typeof name !== "string") return name;
    const id = eventIdColumn === undefined ? eventId(activation, pkHash) : eventIdOf(row[eventIdColumn]);
    if (typeof id !== "string") return id;
    const time = eventTimeOf(row[mapping.event_time], oldest, newest);
    if (typeof time !== "number") return time;

    let dropped: Dropped[] | undefined;
    const user: TikTokEvent["user"] = {};
    const e = email?.(row);
    const p = phone?.(row);
    if (e?.value !== undefined) user.email = [hashIdentifier(e.value)];
    if (p?.value !== undefined) user.phone = [hashIdentifier(p.value)];
    if (user.email === undefined && user.phone === undefined) {
      // An invalid identifier says more than "missing"; a valid other identifier still sends.
      if (e?.bad) return { ok: false, reason: "invalid_email", field: "email" };
      if (p?.bad) return { ok: false, reason: p.bad === "phone_needs_region" ? "phone_needs_region" : "invalid_phone", field: "phone" };
      return { ok: false, reason: "missing_identifier", field: "email" };
    }
    // The other identifier carries the event: the bad one is left out, and counted.
    if (e?.bad) (dropped ??= []).push({ field: "email", reason: e.bad });
    if (p?.bad) (dropped ??= []).push({ field: "phone", reason: p.bad });

    // Invalid optional properties: left out and counted, or, under reject_row, the first rejects the row.
    let invalid: Dropped[] | undefined;
    const x = externalId?.(row);
    if (x?.bad) (invalid ??= []).push({ field: "external_id", reason: x.bad });
    else if (x?.value !== undefined) user.external_id = [hashIdentifier(x.value)];
    let props: NonNullable<TikTokEvent["properties"]> | undefined;
    for (const [name, get] of properties) {
      const got = get?.(row);
      if (got?.bad) (invalid ??= []).push({ field: name, reason: got.bad });
      else if (got?.value !== undefined) (props ??= {})[name] = got.value as never;
    }
    let unknownContentKeys: string[] | undefined;
    const c = contents?.(row);
    if (c?.bad) (invalid ??= []).push({ field: "contents", reason: c.bad });
    else if (c?.value) {
      (props ??= {}).contents = c.value.items;
      if (c.value.unknownKeys.length > 0) unknownContentKeys = c.value.unknownKeys;
    }
    const ldu = limitedDataUse?.(row);
    if (ldu?.bad) (invalid ??= []).push({ field: "limited_data_use", reason: ldu.bad });
    if (invalid) {
      if (rejectRow) return { ok: false, reason: invalid[0]!.reason as RejectReason, field: invalid[0]!.field };
      dropped = dropped ? [...dropped, ...invalid] : invalid;
    }
    // TikTok reads a value only with its currency: never one without the other.
    if (props?.value !== undefined && props.currency === undefined) {
      delete props.value;
      (dropped ??= []).push({ field: "value", reason: "value_without_currency" });
      if (Object.keys(props).length === 0) props = undefined;
    }

    const event: TikTokEvent = { event: name, event_time: time, event_id: id, user };
    if (props) event.properties = props;
    if (ldu?.value !== undefined) event.limited_data_use = ldu.value as boolean;
    if (!dropped && !unknownContentKeys) return { ok: true, event };
    return { ok: true, event, ...(dropped ? { dropped } : {}), ...(unknownContentKeys ? { unknownContentKeys } : {}) };
  };
}
