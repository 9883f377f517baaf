import { createMapper, type RejectReason, type TikTokEvent } from "@ferry/tiktok";
import type { Warehouse } from "@ferry/warehouse";
import type { SyncPlan } from "./compile/compile.js";
import { carriedBy, countIdentifiers, identifierCounts, type IdentifierCounts } from "./coverage.js";
import { rejectionMemory } from "./remembered.js";

export interface PlanPreview {
  /** Rows the next run would read (not yet acknowledged, not rejected with the same values). */
  newRows: number;
  /** The first events that would be sent, exactly as sent: identifiers hashed. */
  samples: TikTokEvent[];
  /** Rejections met among the rows scanned, by reason. */
  rejectedInSample: Partial<Record<RejectReason, number>>;
  /** Rows scanned (the first new ones, at most `scan`): what the figures below are of. */
  scanned: number;
  /** Of the scanned rows that would be sent: how many, by event name, and the identifiers they carry. */
  wouldSend: {
    events: number;
    byEvent: Record<string, number>;
    identifiers: IdentifierCounts;
  };
  /**
   * False when the warehouse has no sync state this connection can read (no run yet, or a role
   * that may not read it): every row of the source then counts as new.
   */
  stateFound: boolean;
}

/**
 * Counts the new rows and maps the first few, without sending, recording or creating anything:
 * a role that may only read the source can preview.
 */
export async function preview(
  plan: SyncPlan,
  deps: { warehouse: Warehouse; clock?: () => number },
  options: { samples?: number; scan?: number } = {},
): Promise<PlanPreview> {
  const stateFound = await deps.warehouse.state.exists(plan.warehouse.stateSchema);
  // Without a state, every row is new: the segment is read as a full refresh reads it, without joins.
  const fresh = stateFound ? {} : { fullRefresh: true };
  const mapper = createMapper({
    activation: plan.activation,
    event: plan.event,
    mapping: plan.mappingSpec,
    defaultRegion: plan.phoneDefaultRegion,
    onInvalidProperty: plan.onInvalidProperty,
    maxEventAgeDays: plan.destination.maxEventAgeDays,
    now: Math.floor((deps.clock ?? Date.now)() / 1000),
  });
  // Rows never rejected are counted in the warehouse; the few with a remembered rejection are
  // read and checked here, the way a run checks them.
  const memory = rejectionMemory(plan);
  let newRows = await deps.warehouse.countNewRows(plan.extraction, stateFound ? { remembered: false } : fresh);
  if (stateFound) {
    for await (const chunk of deps.warehouse.newRows(plan.extraction, { remembered: true })) {
      chunk.rows.forEach((row, i) => {
        if (!memory.unchanged(chunk.remembered[i], row, mapper(row, chunk.keys[i]!))) newRows++;
      });
    }
  }
  const want = options.samples ?? 3;
  const scan = options.scan ?? 1000;
  const samples: TikTokEvent[] = [];
  const rejectedInSample: PlanPreview["rejectedInSample"] = {};
  let scanned = 0;
  const wouldSend: PlanPreview["wouldSend"] = { events: 0, byEvent: {}, identifiers: identifierCounts(plan.mappingSpec) };
  // Samples and figures come from rows never rejected: a scan of bounded length, however many are remembered.
  outer: for await (const chunk of deps.warehouse.newRows(plan.extraction, stateFound ? { remembered: false } : fresh)) {
    for (let i = 0; i < chunk.rows.length; i++) {
      if (scanned >= scan) break outer;
      scanned++;
      const result = mapper(chunk.rows[i]!, chunk.keys[i]!);
      if (!result.ok) {
        rejectedInSample[result.reason] = (rejectedInSample[result.reason] ?? 0) + 1;
        continue;
      }
      const { event } = result;
      if (samples.length < want) samples.push(event);
      wouldSend.events++;
      wouldSend.byEvent[event.event] = (wouldSend.byEvent[event.event] ?? 0) + 1;
      countIdentifiers(wouldSend.identifiers, carriedBy(event.user));
    }
  }
  return { newRows, samples, rejectedInSample, scanned, wouldSend, stateFound };
}
