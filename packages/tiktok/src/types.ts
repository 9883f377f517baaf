import type { EventName } from "@ferry/schema";

/** One event of the Events API 2.0 `data` array. Identifiers are SHA-256 hex only. */
export interface TikTokEvent {
  event: EventName;
  event_time: number;
  event_id: string;
  user: { email?: string[]; phone?: string[]; external_id?: string[] };
  properties?: {
    value?: number;
    currency?: string;
    num_items?: number;
    order_id?: string;
    shop_id?: string;
    contents?: Content[];
    content_type?: "product" | "product_group";
    description?: string;
    query?: string;
  };
  /** TikTok's limited data use (restricted data processing), at the event's top level. */
  limited_data_use?: boolean;
}

/** One item of `properties.contents`. */
export interface Content {
  content_id?: string;
  content_type?: "product" | "product_group";
  content_name?: string;
  content_category?: string;
  brand?: string;
  price?: number;
  quantity?: number;
}

/** TikTok accepts at most this many events per request. */
export const MAX_BATCH_EVENTS = 1000;
