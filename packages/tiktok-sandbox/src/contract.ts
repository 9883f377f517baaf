// An independent reading of shared/tiktok-api.md. Deliberately shares no code with
// @ferry/tiktok: a sandbox that reused the client's normalisers would accept its mistakes.

export const EVENT_NAMES = new Set([
  "AddPaymentInfo",
  "AddToCart",
  "AddToWishlist",
  "ClickButton",
  "CompletePayment",
  "CompleteRegistration",
  "Contact",
  "Download",
  "InitiateCheckout",
  "PlaceAnOrder",
  "Search",
  "SubmitForm",
  "Subscribe",
  "ViewContent",
  "ApplicationApproval",
  "CustomizeProduct",
  "FindLocation",
  "Lead",
  "Purchase",
  "Schedule",
  "StartTrial",
  "SubmitApplication",
]);
const TOP_LEVEL = new Set(["event_source", "event_source_id", "partner_name", "test_event_code", "data"]);
const EVENT_KEYS = new Set(["event", "event_time", "event_id", "user", "properties", "page", "limited_data_use"]);
const USER_KEYS = new Set(["email", "phone", "external_id"]);
const PROPERTY_KEYS = new Set([
  "value",
  "currency",
  "order_id",
  "shop_id",
  "num_items",
  "contents",
  "content_type",
  "description",
  "query",
]);
const CONTENT_KEYS = new Set(["price", "quantity", "content_id", "content_type", "content_name", "content_category", "brand"]);

export const MAX_EVENTS = 1000;

export class Refusal {
  constructor(
    readonly code: number,
    readonly message: string,
  ) {}
}

export interface Rules {
  now: () => number;
  /** Refuse events older than this many days (TikTok never matches them); null accepts them. */
  windowDays: number | null;
  futureSkewSeconds: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A SHA-256 digest in lowercase hex, as TikTok requires for hashed identifiers. */
const isLowerHex64 = (v: string): boolean => /^[0-9a-f]{64}$/.test(v);

// Field paths for messages are built only when refusing: an accepted event costs no strings.
function checkIdentifier(event: number, key: string, value: unknown): Refusal | undefined {
  const single = typeof value === "string";
  if (!single && (!Array.isArray(value) || value.length === 0))
    return new Refusal(40002, `data[${event}].user.${key} must be a SHA-256 hex string or a non-empty array of them`);
  const count = single ? 1 : (value as unknown[]).length;
  for (let i = 0; i < count; i++) {
    const v: unknown = single ? value : (value as unknown[])[i];
    if (typeof v !== "string") return new Refusal(40002, `data[${event}].user.${key}[${i}] must be a string`);
    if (isLowerHex64(v)) continue;
    // Looks like an address or a number in clear: personal data that should have been hashed.
    if (v.includes("@") || /^\+?[\d\s().-]{6,}$/.test(v))
      return new Refusal(40062, `data[${event}].user.${key}[${i}] is personal data that is not hashed`);
    return new Refusal(40002, `data[${event}].user.${key}[${i}] must be a lowercase SHA-256 hex digest`);
  }
  return undefined;
}

/** One item of contents: known keys only, ids and names as strings, price a number, quantity an integer ≥ 1. */
function checkContent(at: string, item: unknown): Refusal | undefined {
  if (!isObject(item) || Object.keys(item).length === 0) return new Refusal(40002, `${at} must be a non-empty object`);
  for (const [k, v] of Object.entries(item)) {
    if (!CONTENT_KEYS.has(k)) return new Refusal(40002, `${at}.${k} is not a known content field`);
    if (k === "price") {
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0) return new Refusal(40002, `${at}.price must be a non-negative number`);
    } else if (k === "quantity") {
      if (typeof v !== "number" || !Number.isInteger(v) || v < 1)
        return new Refusal(40002, `${at}.quantity must be an integer of 1 or more`);
    } else if (k === "content_type") {
      if (v !== "product" && v !== "product_group") return new Refusal(40002, `${at}.content_type must be product or product_group`);
    } else if (typeof v !== "string" || v === "") return new Refusal(40002, `${at}.${k} must be a non-empty string`);
  }
  return undefined;
}

function checkProperty(i: number, key: string, value: unknown): Refusal | undefined {
  if (!PROPERTY_KEYS.has(key)) return new Refusal(40002, `data[${i}].properties.${key} is not a known property`);
  if (value === null || value === "") return new Refusal(40002, `data[${i}].properties.${key} must be omitted rather than empty`);
  switch (key) {
    case "value":
      if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
        return new Refusal(40002, `data[${i}].properties.${key} must be a non-negative number`);
      return undefined;
    case "currency":
      if (typeof value !== "string" || !/^[A-Z]{3}$/.test(value))
        return new Refusal(40002, `data[${i}].properties.${key} must be an ISO 4217 code`);
      return undefined;
    case "order_id":
    case "shop_id":
      if (typeof value !== "string") return new Refusal(40002, `data[${i}].properties.${key} must be a string`);
      return undefined;
    case "num_items":
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0)
        return new Refusal(40002, `data[${i}].properties.${key} must be a non-negative integer`);
      return undefined;
    case "contents":
      if (!Array.isArray(value) || value.length === 0 || value.length > MAX_EVENTS)
        return new Refusal(40002, `data[${i}].properties.${key} must be a non-empty array of at most ${MAX_EVENTS} items`);
      for (const [j, item] of value.entries()) {
        const refusal = checkContent(`data[${i}].properties.contents[${j}]`, item);
        if (refusal) return refusal;
      }
      return undefined;
    case "content_type":
      if (value !== "product" && value !== "product_group")
        return new Refusal(40002, `data[${i}].properties.${key} must be product or product_group`);
      return undefined;
    case "description":
    case "query":
      if (typeof value !== "string" || value.trim() === "") return new Refusal(40002, `data[${i}].properties.${key} must be a string`);
      return undefined;
    default:
      return undefined;
  }
}

function checkEvent(e: unknown, i: number, rules: Rules, now: number): Refusal | undefined {
  if (!isObject(e)) return new Refusal(40002, `data[${i}] must be an object`);
  for (const key in e) if (!EVENT_KEYS.has(key)) return new Refusal(40002, `data[${i}].${key} is not a known field`);
  if (typeof e["event"] !== "string" || !EVENT_NAMES.has(e["event"]))
    return new Refusal(40002, `data[${i}].event is not a supported event name`);
  const time = e["event_time"];
  if (typeof time !== "number" || !Number.isInteger(time))
    return new Refusal(40002, `data[${i}].event_time must be an integer number of seconds`);
  if (time > 1e11) return new Refusal(40002, `data[${i}].event_time must be in seconds, not milliseconds`);
  if (time > now + rules.futureSkewSeconds) return new Refusal(40002, `data[${i}].event_time is in the future`);
  if (rules.windowDays !== null && time < now - rules.windowDays * 86_400) {
    return new Refusal(40002, `data[${i}].event_time is older than the ${rules.windowDays}-day attribution window`);
  }
  if (typeof e["event_id"] !== "string" || e["event_id"].trim().length === 0 || e["event_id"].length > 255) {
    return new Refusal(40002, `data[${i}].event_id must be a non-empty string of at most 255 characters`);
  }
  if (e["limited_data_use"] !== undefined && typeof e["limited_data_use"] !== "boolean")
    return new Refusal(40002, `data[${i}].limited_data_use must be a boolean`);
  const user = e["user"];
  if (!isObject(user)) return new Refusal(40002, `data[${i}].user must be an object`);
  for (const key in user) {
    if (!USER_KEYS.has(key)) return new Refusal(40002, `data[${i}].user.${key} is not a supported identifier for offline events`);
    const refusal = checkIdentifier(i, key, user[key]);
    if (refusal) return refusal;
  }
  if (user["email"] === undefined && user["phone"] === undefined) return new Refusal(40002, `data[${i}].user needs an email or a phone`);
  const props = e["properties"];
  if (props === undefined) return undefined;
  if (!isObject(props)) return new Refusal(40002, `data[${i}].properties must be an object`);
  for (const key in props) {
    const refusal = checkProperty(i, key, props[key]);
    if (refusal) return refusal;
  }
  // TikTok reads a value only with its currency (its docs ask for currency whenever value is sent).
  if (props["value"] !== undefined && props["currency"] === undefined)
    return new Refusal(40002, `data[${i}].properties.value needs properties.currency`);
  return undefined;
}

export interface TrackBody {
  event_source_id: string;
  test_event_code?: string;
  data: Record<string, unknown>[];
}

/** Checks a whole /event/track/ body; one bad event refuses the whole batch, as TikTok does. */
export function checkTrackBody(body: unknown, rules: Rules): Refusal | TrackBody {
  if (!isObject(body)) return new Refusal(40002, "the body must be a JSON object");
  for (const key of Object.keys(body)) if (!TOP_LEVEL.has(key)) return new Refusal(40002, `${key} is not a known top-level field`);
  if (body["event_source"] !== "offline") return new Refusal(40002, 'event_source must be "offline"');
  const id = body["event_source_id"];
  if (typeof id !== "string" || !/^\d{1,20}$/.test(id))
    return new Refusal(40002, "event_source_id must be the event set ID as a string of digits");
  for (const key of ["partner_name", "test_event_code"]) {
    if (body[key] !== undefined && (typeof body[key] !== "string" || body[key] === ""))
      return new Refusal(40002, `${key} must be a non-empty string`);
  }
  const data = body["data"];
  if (!Array.isArray(data) || data.length === 0) return new Refusal(40002, "data must be a non-empty array");
  if (data.length > MAX_EVENTS) return new Refusal(40061, `data holds ${data.length} events; at most ${MAX_EVENTS} per request`);
  const now = rules.now();
  for (let i = 0; i < data.length; i++) {
    const refusal = checkEvent(data[i], i, rules, now);
    if (refusal) return refusal;
  }
  return body as unknown as TrackBody;
}

/**
 * Checks events against the contract as the sandbox would, without a server: for property tests
 * that hold a producer of events to this independent reading.
 */
export function checkEvents(
  events: readonly unknown[],
  options: { now?: number; windowDays?: number | null } = {},
): { ok: true } | { ok: false; code: number; message: string } {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const result = checkTrackBody(
    { event_source: "offline", event_source_id: "7100000000000000001", data: events },
    { now: () => now, windowDays: options.windowDays === undefined ? 28 : options.windowDays, futureSkewSeconds: 300 },
  );
  return result instanceof Refusal ? { ok: false, code: result.code, message: result.message } : { ok: true };
}
