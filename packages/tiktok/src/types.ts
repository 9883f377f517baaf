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
  };
}

/** TikTok accepts at most this many events per request. */
export const MAX_BATCH_EVENTS = 1000;
