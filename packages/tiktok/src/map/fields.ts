/**
 * The destination's declared fields (Segment's style): what a mapping may name, whether it is
 * personal data, and where it lands in the event. Drives the mapper, `ferry plan` and the docs.
 */
export const TIKTOK_FIELDS = [
  { name: "event_time", required: true, pii: false, target: "event_time", description: "Unix seconds, UTC" },
  { name: "email", required: false, pii: true, target: "user.email", description: "SHA-256 of the trimmed, lower-cased address" },
  { name: "phone", required: false, pii: true, target: "user.phone", description: "SHA-256 of the E.164 number" },
  { name: "external_id", required: false, pii: true, target: "user.external_id", description: "SHA-256 of the trimmed value" },
  { name: "value", required: false, pii: false, target: "properties.value", description: "number" },
  { name: "currency", required: false, pii: false, target: "properties.currency", description: "ISO 4217 code" },
  { name: "num_items", required: false, pii: false, target: "properties.num_items", description: "integer" },
  { name: "order_id", required: false, pii: false, target: "properties.order_id", description: "text" },
  { name: "shop_id", required: false, pii: false, target: "properties.shop_id", description: "text" },
] as const;

export type TikTokFieldName = (typeof TIKTOK_FIELDS)[number]["name"];
export const PII_FIELDS: ReadonlySet<string> = new Set(TIKTOK_FIELDS.filter((f) => f.pii).map((f) => f.name));
