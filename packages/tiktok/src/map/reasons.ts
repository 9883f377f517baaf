/**
 * Why a row was not sent. `remember`: the rejection is stored with a fingerprint of the row's
 * values (of the event sent, for a TikTok refusal), so the row is retried only once those
 * values, the mapping or the event change; a rejection that may clear by itself with time (an
 * event in the future) is not remembered.
 */
export const REJECT_REASONS = {
  // Remembered by a fingerprint of the row's values, which stand in for the missing key.
  missing_primary_key: { remember: true, text: "a primary-key column is empty" },
  // The source repeats a key: its first row in a run stands for the conversion.
  duplicate_primary_key: { remember: false, text: "another row of this run has the same primary key (the first was used)" },
  invalid_event_time: { remember: true, text: "event time is missing or not a date/time" },
  event_too_old: { remember: true, text: "event is older than the attribution window (not sent)" },
  event_in_future: { remember: false, text: "event time is in the future (deferred: read again by later runs)" },
  missing_identifier: { remember: true, text: "neither email nor phone is present" },
  invalid_email: { remember: true, text: "email is not a plausible address (and no valid phone)" },
  invalid_phone: { remember: true, text: "phone is not a valid number (and no valid email)" },
  phone_needs_region: {
    remember: true,
    text: "phone has no country code and no region is set to read it (set phone_default_region, or map phone_region)",
  },
  invalid_value: { remember: true, text: "value is not a non-negative number" },
  invalid_currency: { remember: true, text: "currency is not an ISO 4217 code" },
  invalid_num_items: { remember: true, text: "number of items is not a non-negative integer" },
  invalid_order_id: { remember: true, text: "order_id is not text or a number" },
  invalid_shop_id: { remember: true, text: "shop_id is not text or a number" },
  invalid_external_id: { remember: true, text: "external_id is not text or a number" },
  invalid_event: { remember: true, text: "the event column's name is not one TikTok accepts (the sample names the closest)" },
  invalid_event_id: { remember: true, text: "the mapped event_id is empty, or not text or a number of at most 255 characters" },
  invalid_contents: { remember: true, text: "contents is not a list of items TikTok reads (see the README)" },
  invalid_content_type: { remember: true, text: "content_type is not product or product_group" },
  invalid_description: { remember: true, text: "description is not text of at most 1,000 characters" },
  invalid_query: { remember: true, text: "query is not text of at most 1,000 characters" },
  invalid_limited_data_use: { remember: true, text: "limited_data_use is not a boolean" },
  tiktok_refused: { remember: true, text: "TikTok refused the event (see its message)" },
} as const;

export type RejectReason = keyof typeof REJECT_REASONS;
