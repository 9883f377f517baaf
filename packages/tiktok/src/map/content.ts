// The fields of the "more mapping" contract (shared/tiktok-api.md): the event name and event_id
// from columns, contents and its neighbours, limited_data_use.
import { EVENT_NAMES, TEXT_MAX, type EventName } from "@ferry/schema";
import type { Content } from "../types.js";
import { parseIdText, parseValue } from "./normalize.js";

const NAMES: ReadonlySet<string> = new Set(EVENT_NAMES);

/** An event name as TikTok spells it; case and spacing are not corrected (TikTok would not). */
export function parseEventName(raw: unknown): EventName | undefined {
  if (typeof raw !== "string") return undefined;
  const name = raw.trim();
  return NAMES.has(name) ? (name as EventName) : undefined;
}

/** A user's own event id: text or a number, trimmed, 1 to 255 characters. */
export function parseEventId(raw: unknown): string | undefined {
  const text = parseIdText(raw);
  return text !== undefined && text.length <= 255 ? text : undefined;
}

/** Free text (description, query): trimmed, non-empty, at most TEXT_MAX characters; numbers as text. */
export function parseText(raw: unknown): string | undefined {
  if (typeof raw === "number" || typeof raw === "bigint") return String(raw);
  if (typeof raw !== "string") return undefined;
  const text = raw.trim();
  return text.length > 0 && text.length <= TEXT_MAX ? text : undefined;
}

export function parseContentType(raw: unknown): "product" | "product_group" | undefined {
  if (typeof raw !== "string") return undefined;
  const text = raw.trim().toLowerCase();
  return text === "product" || text === "product_group" ? text : undefined;
}

/** Booleans as warehouses give them: true/false, 1/0, and their text forms. */
export function parseFlag(raw: unknown): boolean | undefined {
  if (typeof raw === "boolean") return raw;
  if (raw === 1 || raw === 0 || raw === 1n || raw === 0n) return raw === 1 || raw === 1n;
  if (typeof raw !== "string") return undefined;
  const text = raw.trim().toLowerCase();
  if (text === "true" || text === "t" || text === "1" || text === "yes") return true;
  if (text === "false" || text === "f" || text === "0" || text === "no") return false;
  return undefined;
}

const STRING_KEYS = ["content_id", "content_name", "content_category", "brand"] as const;
const KNOWN_KEYS: ReadonlySet<string> = new Set([...STRING_KEYS, "content_type", "price", "quantity"]);
const MAX_CONTENTS = 1000;
const KEY_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** How a key that does not look like a field name is counted. */
export const OTHER_KEY = "(other)";

/** Contents read from a column: the items, and the unknown keys left out of them (by name). */
export type ParsedContents = { items: Content[]; unknownKeys: string[] };

/**
 * The items of a JSON/JSONB column (an array, or JSON text of one), each normalised: ids and
 * names as strings, price a non-negative number, quantity an integer ≥ 1, content_type one of
 * two values. Keys TikTok does not know are left out and named; an item that is not an object
 * or has an invalid known key makes the whole list invalid (undefined). An empty list is absent.
 */
export function parseContents(raw: unknown): ParsedContents | null | undefined {
  let list = raw;
  if (typeof raw === "string") {
    try {
      list = JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
  if (!Array.isArray(list) || list.length > MAX_CONTENTS) return undefined;
  if (list.length === 0) return null;
  const items: Content[] = [];
  let unknownKeys: string[] | undefined;
  for (const item of list) {
    if (typeof item !== "object" || item === null || Array.isArray(item)) return undefined;
    const content: Content = {};
    for (const [key, value] of Object.entries(item as Record<string, unknown>)) {
      if (value === null || value === undefined || value === "") continue;
      if (!KNOWN_KEYS.has(key)) {
        // Named in reports only when it looks like a field name: data used as a key (an email,
        // a phone) must not reach a report or an issue.
        const name = KEY_NAME.test(key) ? key : OTHER_KEY;
        if (!unknownKeys?.includes(name)) (unknownKeys ??= []).push(name);
        continue;
      }
      if (key === "price") {
        const price = parseValue(value);
        if (price === undefined) return undefined;
        content.price = price;
      } else if (key === "quantity") {
        const quantity = parseValue(value);
        if (quantity === undefined || !Number.isInteger(quantity) || quantity < 1) return undefined;
        content.quantity = quantity;
      } else if (key === "content_type") {
        const type = parseContentType(value);
        if (type === undefined) return undefined;
        content.content_type = type;
      } else {
        const text = parseIdText(value);
        if (text === undefined) return undefined;
        content[key as (typeof STRING_KEYS)[number]] = text;
      }
    }
    if (Object.keys(content).length > 0) items.push(content);
  }
  if (items.length === 0) return null;
  return { items, unknownKeys: unknownKeys ?? [] };
}
