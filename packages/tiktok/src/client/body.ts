import type { TikTokEvent } from "../types.js";

/** Events a part of a request body: about 45 KB, under V8's large-object size (128 KB). */
const PART_EVENTS = 100;

/** A request body as parts, its length in bytes, and the events it carries. */
export type Body = { parts: string[]; bytes: number; count: number };

/** The body's fields before `data`, as JSON without its closing brace. */
export const bodyHead = (eventSetId: string, testEventCode: string | undefined): string =>
  JSON.stringify({
    event_source: "offline",
    event_source_id: eventSetId,
    partner_name: "Ferry",
    ...(testEventCode ? { test_event_code: testEventCode } : {}),
  }).slice(0, -1);

/** The events of a body, read back (bisection, and a refusal's fingerprint: both rare). */
export const eventsOf = (body: Body): TikTokEvent[] => (JSON.parse(body.parts.join("")) as { data: TikTokEvent[] }).data;

/**
 * The request body: the head's fields, then `data`, the same bytes JSON.stringify of the whole
 * gives, in parts of PART_EVENTS events. One string a batch would be a large object, which V8
 * frees only in full collections (bench/FINDINGS.md#body-parts); parts die young.
 */
export function bodyFor(head: string, events: readonly TikTokEvent[]): Body {
  const parts = [`${head},"data":[`];
  for (let i = 0; i < events.length; i += PART_EVENTS) {
    if (i > 0) parts.push(",");
    const json = JSON.stringify(events.slice(i, i + PART_EVENTS));
    parts.push(json.slice(1, -1));
  }
  parts.push("]}");
  let bytes = 0;
  for (const part of parts) bytes += Buffer.byteLength(part);
  return { parts, bytes, count: events.length };
}
