import type { ServerResponse } from "node:http";
import { answer, type SandboxState } from "./state.js";
import type { RecordedRequest } from "./types.js";

/** GET /offline/get/: the advertiser's offline event sets. */
export function listEventSets(state: SandboxState, res: ServerResponse, url: URL, record: RecordedRequest): void {
  const advertiser = url.searchParams.get("advertiser_id") ?? "";
  if (!/^\d+$/.test(advertiser)) {
    record.code = 40002;
    return answer(state, res, 40002, "advertiser_id must be a string of digits");
  }
  record.code = 0;
  answer(state, res, 0, "OK", { list: state.advertisers[advertiser] ?? [] });
}

/** POST /offline/create/: a new offline event set for the advertiser. */
export function createEventSet(state: SandboxState, res: ServerResponse, text: string, record: RecordedRequest): void {
  let body: { advertiser_id?: unknown; name?: unknown } = {};
  try {
    body = JSON.parse(text || "{}") as typeof body;
  } catch {
    // answered below as missing fields
  }
  if (typeof body.advertiser_id !== "string" || typeof body.name !== "string" || body.name === "") {
    record.code = 40002;
    return answer(state, res, 40002, "advertiser_id and name are required strings");
  }
  const id = `71${String(Date.now()).padStart(17, "0")}`.slice(0, 19);
  (state.advertisers[body.advertiser_id] ??= []).push({ event_set_id: id, name: body.name });
  record.code = 0;
  answer(state, res, 0, "OK", { event_set_id: id });
}
