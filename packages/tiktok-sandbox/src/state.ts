import type { ServerResponse } from "node:http";
import type { Rules } from "./contract.js";
import { Deduplication } from "./dedup.js";
import type { Limits } from "./faults.js";
import type { AcceptedEvent, FaultScript, RecordedRequest, SandboxStats } from "./types.js";

/** What one sandbox knows; the endpoints read and change it. */
export interface SandboxState {
  faults: FaultScript;
  revoked: boolean;
  acceptedRequests: number;
  requestSeq: number;
  inFlight: number;
  events: AcceptedEvent[];
  recorded: RecordedRequest[];
  stats: SandboxStats;
  readonly dedup: Deduplication;
  readonly limits: Limits;
  readonly random: () => number;
  readonly rules: Rules;
  readonly keepEvents: boolean;
  readonly advertisers: Record<string, { event_set_id: string; name: string }[]>;
}

export const emptyStats = (): SandboxStats => ({ requests: 0, peakInFlight: 0, accepted: 0, duplicates: 0, refused: 0, byCode: {} });

/** TikTok's envelope: code, message, request_id and data, with HTTP 200 unless said. */
export function answer(
  state: SandboxState,
  res: ServerResponse,
  code: number,
  message: string,
  data: unknown = {},
  extra: { status?: number; headers?: Record<string, string> } = {},
): void {
  const requestId = `sbx-${(++state.requestSeq).toString(36)}`;
  res.writeHead(extra.status ?? 200, { "content-type": "application/json", ...extra.headers });
  res.end(JSON.stringify({ code, message, request_id: requestId, data }));
}
