import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/max";
import { isDigest, sha256Hex } from "./hash.js";
import { NOT_HANDLED, plainE164 } from "./phone.js";

// Each normaliser returns the value to send, or undefined when the input is unusable.
// Inputs come straight from warehouse drivers: strings, numbers, bigints, Dates, Buffers, null.

const EMAIL = /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/;

export function normalizeEmail(raw: unknown): string | undefined {
  if (typeof raw !== "string") return undefined;
  const value = raw.trim().toLowerCase();
  if (isDigest(value)) return value;
  return value.length <= 254 && EMAIL.test(value) ? value : undefined;
}

export function normalizePhone(raw: unknown, defaultRegion: string | undefined): string | undefined {
  let text: string;
  if (typeof raw === "string") text = raw.trim();
  else if (typeof raw === "number" && Number.isSafeInteger(raw) && raw > 0) text = String(raw);
  else if (typeof raw === "bigint" && raw > 0n) text = String(raw);
  else return undefined;
  if (isDigest(text)) return text.toLowerCase();
  if (text.length === 0 || text.length > 40) return undefined;
  // "00" is the international prefix almost everywhere (not in North America, where the region
  // metadata would not read it): treat it as "+" so 0033… works whatever the default region.
  if (text.startsWith("00")) text = `+${text.slice(2)}`;
  const plain = plainE164(text, defaultRegion);
  if (plain !== NOT_HANDLED) return plain;
  const parsed = parsePhoneNumberFromString(text, defaultRegion as CountryCode | undefined);
  return parsed?.isValid() ? parsed.number : undefined;
}

export function normalizeExternalId(raw: unknown): string | undefined {
  if (typeof raw === "number" && Number.isFinite(raw)) return String(raw);
  if (typeof raw === "bigint") return String(raw);
  if (typeof raw !== "string") return undefined;
  const value = raw.trim();
  if (value.length === 0) return undefined;
  return isDigest(value) ? value.toLowerCase() : value;
}

/** Hash for the user object: digests pass through, anything else is hashed here. */
export const hashIdentifier = (normalized: string): string => (isDigest(normalized) ? normalized.toLowerCase() : sha256Hex(normalized));

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function fromEpoch(n: number): number | undefined {
  if (!Number.isFinite(n) || n <= 0) return undefined;
  // Seconds, milliseconds or microseconds, told apart by magnitude (1e11 s is the year 5138).
  if (n < 1e11) return Math.floor(n);
  if (n < 1e14) return Math.floor(n / 1e3);
  if (n < 1e17) return Math.floor(n / 1e6);
  return undefined;
}

const digit = (text: string, i: number) => {
  const c = text.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
};

/**
 * The text warehouses send most, "YYYY-MM-DD HH:MM:SS" (or with a T, or a trailing Z), read
 * without a regular expression or Date: Unix seconds, undefined when a field is out of range,
 * or null when the text has another shape (the general reader takes it). A quarter of the
 * mapper's time went to the general reader: bench/FINDINGS.md#plain-times.
 */
function plainDateTime(text: string): number | undefined | null {
  const n = text.length;
  if (n !== 19 && !(n === 20 && (text[19] === "Z" || text[19] === "z"))) return null;
  const sep = text[10];
  if (text[4] !== "-" || text[7] !== "-" || (sep !== " " && sep !== "T") || text[13] !== ":" || text[16] !== ":") return null;
  const year = digit(text, 0) * 1000 + digit(text, 1) * 100 + digit(text, 2) * 10 + digit(text, 3);
  const month = digit(text, 5) * 10 + digit(text, 6);
  const day = digit(text, 8) * 10 + digit(text, 9);
  const hour = digit(text, 11) * 10 + digit(text, 12);
  const minute = digit(text, 14) * 10 + digit(text, 15);
  const second = digit(text, 17) * 10 + digit(text, 18);
  // NaN (a non-digit) fails every comparison below: such text is another shape.
  if (!(year >= 0 && month >= 0 && day >= 0 && hour >= 0 && minute >= 0 && second >= 0)) return null;
  return civilSeconds(year, month, day, hour, minute, second);
}

/**
 * Unix seconds of a UTC date and time in the proleptic Gregorian calendar (H. Hinnant's
 * days_from_civil), or undefined when a field is out of range (a 31st of April, a 24th hour).
 * Unlike Date.UTC, years 0-99 are not taken as 1900-1999.
 */
function civilSeconds(year: number, month: number, day: number, hour: number, minute: number, second: number): number | undefined {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (month < 1 || month > 12 || day < 1 || day > (month === 2 && !leap ? 28 : DAYS_IN_MONTH[month - 1]!)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return (era * 146_097 + doe - 719_468) * 86_400 + hour * 3600 + minute * 60 + second;
}

/** Unix seconds (UTC) from a Date, ISO-8601 text (naive = UTC) or an epoch number. */
export function parseEventTime(raw: unknown): number | undefined {
  if (raw instanceof Date) {
    const ms = raw.getTime();
    return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
  }
  if (typeof raw === "number") return fromEpoch(raw);
  if (typeof raw === "bigint") return raw > 0n && raw < 10n ** 17n ? fromEpoch(Number(raw)) : undefined;
  if (typeof raw !== "string") return undefined;
  const text = raw.trim();
  const fast = plainDateTime(text);
  if (fast !== null) return fast;
  if (/^\d+(\.\d+)?$/.test(text)) return fromEpoch(Number(text));
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = "0", mi = "0", s = "0", , zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const utc = civilSeconds(year, month, day, hour, minute, second);
  if (utc === undefined) return undefined;
  let offsetMinutes = 0;
  if (zone && zone !== "Z" && zone !== "z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || "0");
    if (oh > 18 || om > 59) return undefined;
    offsetMinutes = sign * (oh * 60 + om);
  }
  return utc - offsetMinutes * 60;
}

const DECIMAL = /^-?\d+(?:\.\d+)?$/;

/** A JSON number from numbers, numeric strings (no thousands separators) and bigints; 0 kept. */
export function parseValue(raw: unknown): number | undefined {
  let n: number;
  if (typeof raw === "number") n = raw;
  else if (typeof raw === "bigint") n = Number(raw);
  else if (typeof raw === "string") {
    const text = raw.trim();
    if (!DECIMAL.test(text)) return undefined;
    n = Number(text);
  } else return undefined;
  return Number.isFinite(n) && n >= 0 && n <= Number.MAX_SAFE_INTEGER ? n : undefined;
}

export function parseCount(raw: unknown): number | undefined {
  const n = parseValue(raw);
  return n !== undefined && Number.isInteger(n) ? n : undefined;
}

const CURRENCIES = new Set(Intl.supportedValuesOf("currency"));

export function parseCurrency(raw: unknown): string | undefined {
  if (typeof raw !== "string") return undefined;
  const code = raw.trim().toUpperCase();
  return code.length === 3 && CURRENCIES.has(code) ? code : undefined;
}

/** order_id / shop_id: text as is (trimmed), numbers and bigints in decimal. */
export function parseIdText(raw: unknown): string | undefined {
  if (typeof raw === "string") {
    const text = raw.trim();
    return text.length > 0 && text.length <= 256 ? text : undefined;
  }
  if (typeof raw === "number" && Number.isFinite(raw)) return String(raw);
  if (typeof raw === "bigint") return String(raw);
  return undefined;
}
