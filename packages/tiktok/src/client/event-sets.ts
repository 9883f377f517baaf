import { newCounter, type Transport } from "./transport.js";
import { TikTokError, type EventSet } from "./types.js";

/**
 * The offline event set an activation sends to when it names only its advertiser: the only one,
 * or the one named after the activation; anything else is an error that lists the candidates.
 */
export async function resolveEventSet(transport: Transport, advertiserId: string, activationName: string): Promise<string> {
  const path = `/open_api/v1.3/offline/get/?advertiser_id=${encodeURIComponent(advertiserId)}`;
  const answer = await transport.call("GET", path, undefined, undefined, newCounter());
  if (answer.kind !== "ok")
    throw new TikTokError(
      answer.kind,
      answer.code,
      `could not list the offline event sets of advertiser ${advertiserId}: ${answer.message}`,
      answer.requestId,
    );
  // The list arrives as `data` itself or under `data.list` depending on the API version.
  const data = answer.data as { list?: unknown } | unknown[] | undefined;
  const list = (Array.isArray(data) ? data : Array.isArray(data?.list) ? data.list : []) as Partial<EventSet>[];
  const sets = list.filter((s): s is EventSet => typeof s.event_set_id === "string" && typeof s.name === "string");
  if (sets.length === 1) return sets[0]!.event_set_id;
  const named = sets.find((s) => s.name === activationName);
  if (named) return named.event_set_id;
  const candidates = sets.map((s) => `${s.event_set_id} (${s.name})`).join(", ");
  throw new TikTokError(
    "invalid",
    undefined,
    sets.length === 0
      ? `advertiser ${advertiserId} has no offline event set: create one in TikTok Events Manager, or set destination.event_set_id`
      : `advertiser ${advertiserId} has ${sets.length} offline event sets and none is named "${activationName}": set destination.event_set_id to one of ${candidates}`,
  );
}
