/**
 * The destination's declared fields (Segment's style): what a mapping may name, whether it is
 * personal data, and where it lands in the event. Decides the columns a run reads, and what
 * `ferry plan` and the pull-request comment show; the mapper reads each field's own parser.
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
  { name: "event_id", required: false, pii: false, target: "event_id", description: "your own id, trimmed (at most 255 characters)" },
  { name: "contents", required: false, pii: false, target: "properties.contents", description: "items, each normalised" },
  { name: "content_type", required: false, pii: false, target: "properties.content_type", description: "product or product_group" },
  { name: "description", required: false, pii: false, target: "properties.description", description: "text" },
  { name: "query", required: false, pii: false, target: "properties.query", description: "text" },
  { name: "limited_data_use", required: false, pii: false, target: "limited_data_use", description: "boolean" },
] as const;

export type TikTokFieldName = (typeof TIKTOK_FIELDS)[number]["name"];
export const PII_FIELDS: ReadonlySet<string> = new Set(TIKTOK_FIELDS.filter((f) => f.pii).map((f) => f.name));
