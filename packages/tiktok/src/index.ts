export {
  createTikTokClient,
  DEFAULT_BASE_URL,
  DEFAULT_IN_FLIGHT,
  TikTokError,
  type BatchOutcome,
  type Rejection,
  type TikTokClient,
  type TikTokClientOptions,
} from "./client/client.js";
export { THROTTLE_CODES } from "./client/classify.js";
export { PII_FIELDS, TIKTOK_FIELDS, type TikTokFieldName } from "./map/fields.js";
export { eventFingerprint } from "./map/hash.js";
export {
  createMapper,
  eventId,
  primaryKeyHash,
  type DropReason,
  type Dropped,
  type MapperOptions,
  type MapResult,
  type Row,
} from "./map/mapper.js";
export { REJECT_REASONS, type RejectReason } from "./map/reasons.js";
export { MAX_BATCH_EVENTS, type TikTokEvent } from "./types.js";
