import type { IncomingMessage, ServerResponse } from "node:http";
import { checkTrackBody, Refusal } from "./contract.js";
import { latency } from "./faults.js";
import { answer, type SandboxState } from "./state.js";
import type { RecordedRequest } from "./types.js";

/**
 * POST /event/track/: the fault script first (hangs, drops, errors, limits), then the contract,
 * then deduplication; the events accepted are kept when the sandbox keeps events.
 */
export async function track(state: SandboxState, req: IncomingMessage, res: ServerResponse, text: string, record: RecordedRequest) {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return answer(state, res, 40002, "the body is not valid JSON");
  }
  const data = (body as { data?: unknown } | null)?.data;
  record.events = Array.isArray(data) ? data.length : 0;
  const f = state.faults;
  const random = state.random;
  if (f.hangRate && random() < f.hangRate) return; // never answers; the client's timeout must fire
  if (f.dropRate && !f.dropAfterAccept && random() < f.dropRate) return void req.socket.destroy();
  if (f.errorRate && random() < f.errorRate) {
    record.code = 50002;
    return random() < 0.5
      ? answer(state, res, 50000, "internal error", {}, { status: 500 })
      : answer(state, res, 50002, "service temporarily unavailable");
  }
  const over = state.limits.over(f, state.inFlight);
  if (over) {
    record.code = 40100;
    await latency(f, random);
    const headers: Record<string, string> = f.retryAfterSeconds !== undefined ? { "retry-after": String(f.retryAfterSeconds) } : {};
    if (f.throttleWith429) {
      res.writeHead(429, { "content-type": "text/plain", ...headers });
      return void res.end("Too Many Requests");
    }
    return answer(state, res, 40100, over, {}, { headers });
  }
  await latency(f, random, record.events);
  const checked = checkTrackBody(body, state.rules);
  if (checked instanceof Refusal) {
    record.code = checked.code;
    return answer(state, res, checked.code, checked.message);
  }
  if (f.denyEventSets?.includes(checked.event_source_id)) {
    record.code = 40001;
    return answer(state, res, 40001, "no permission to write to this event set");
  }
  const refusedAt = f.refuseEventIds ? checked.data.findIndex((e) => f.refuseEventIds!.includes(String(e["event_id"]))) : -1;
  if (refusedAt >= 0) {
    record.code = 40002;
    return answer(state, res, 40002, `data[${refusedAt}] was refused by the sandbox's fault script`);
  }
  const at = state.rules.now();
  for (const event of checked.data) {
    if (state.dedup.duplicate(checked.event_source_id, event["event"], String(event["event_id"]), at)) {
      state.stats.duplicates++;
      continue;
    }
    state.stats.accepted++;
    if (state.keepEvents) {
      const testEventCode = checked.test_event_code ? { testEventCode: checked.test_event_code } : {};
      state.events.push({ eventSetId: checked.event_source_id, ...testEventCode, event });
    }
  }
  state.acceptedRequests++;
  if (f.revokeTokenAfter !== undefined && state.acceptedRequests >= f.revokeTokenAfter) state.revoked = true;
  record.code = 0;
  if (f.dropRate && f.dropAfterAccept && random() < f.dropRate) return void req.socket.destroy();
  answer(state, res, 0, "OK");
}
