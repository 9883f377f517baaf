import { MAX_BATCH_EVENTS } from "../types.js";
import { sendBody } from "./bisection.js";
import { bodyFor, bodyHead } from "./body.js";
import { resolveEventSet } from "./event-sets.js";
import { createTransport, newCounter } from "./transport.js";
import type { TikTokClient, TikTokClientOptions } from "./types.js";

export * from "./types.js";

/**
 * The Events API client: body encoding (body.ts), transport with retries and throttling
 * (transport.ts), bisection of refused batches (bisection.ts) and event sets (event-sets.ts).
 */
export function createTikTokClient(options: TikTokClientOptions): TikTokClient {
  const transport = createTransport(options);
  return {
    // Not async: the events are serialised before this returns, and not referenced after.
    sendBatch(eventSetId, events, sendOptions = {}) {
      if (events.length === 0)
        return Promise.resolve({ status: "accepted", accepted: 0, rejected: [], requests: 0, retries: newCounter().retries });
      if (events.length > MAX_BATCH_EVENTS) return Promise.reject(new RangeError(`a batch holds at most ${MAX_BATCH_EVENTS} events`));
      const head = bodyHead(eventSetId, sendOptions.testEventCode);
      return sendBody(transport, head, bodyFor(head, events), sendOptions.signal);
    },
    usage: () => transport.usage(),
    resolveEventSet: (advertiserId, activationName) => resolveEventSet(transport, advertiserId, activationName),
    close: () => transport.close(),
  };
}
