import { eventFingerprint } from "../map/hash.js";
import { bodyFor, eventsOf, type Body } from "./body.js";
import { newCounter, type Transport } from "./transport.js";
import type { BatchOutcome, Rejection } from "./types.js";

const TRACK = "/open_api/v1.3/event/track/";

/**
 * Sends a serialised batch. Only the body is kept while the request is out: the caller's events
 * become garbage at once instead of surviving collections until TikTok answers
 * (bench/FINDINGS.md#body-only). An invalid-parameter refusal condemns the whole batch, so it is
 * split in halves until the offending events stand alone (Census's approach), the rest sent.
 */
export async function sendBody(transport: Transport, head: string, body: Body, signal: AbortSignal | undefined): Promise<BatchOutcome> {
  const counter = newCounter();
  const rejected: Rejection[] = [];
  let accepted = 0;
  const send = async (offset: number, part: Body): Promise<BatchOutcome | undefined> => {
    const answer = await transport.call("POST", TRACK, part, signal, counter);
    if (answer.kind === "ok") {
      accepted += part.count;
      return undefined;
    }
    if (answer.kind === "invalid") {
      const events = eventsOf(part);
      if (part.count === 1) {
        rejected.push({
          index: offset,
          code: answer.code ?? 40002,
          message: answer.message,
          fingerprint: eventFingerprint(events[0]!),
          ...(answer.requestId ? { requestId: answer.requestId } : {}),
        });
        return undefined;
      }
      const half = Math.ceil(events.length / 2);
      return (await send(offset, bodyFor(head, events.slice(0, half)))) ?? (await send(offset + half, bodyFor(head, events.slice(half))));
    }
    return {
      status: "failed",
      kind: answer.kind,
      // A gateway's 429 carries no TikTok code: its status says it was throttling.
      code: answer.code ?? (answer.httpStatus === 429 ? 429 : undefined),
      ...(answer.period === "day" ? { limit: "day" as const } : {}),
      message: `${transport.failureHead(answer)}${answer.message}`,
      ...(answer.requestId ? { requestId: answer.requestId } : {}),
      requests: counter.requests,
      retries: counter.retries,
    };
  };
  const failure = await send(0, body);
  return failure ?? { status: "accepted", accepted, rejected, requests: counter.requests, retries: counter.retries };
}
