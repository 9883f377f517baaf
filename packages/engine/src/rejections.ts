import { eventId } from "@ferry/tiktok";
import type { Warehouse } from "@ferry/warehouse";
import type { SyncPlan } from "./compile/compile.js";

/** A remembered rejection, with the key of the source row it stands for. */
export interface RejectedRowListing {
  /** The row's primary-key values; null when a key column is personal data or the key is empty. */
  key: Record<string, string> | null;
  /** The event_id Ferry would send the row under; null for a row with an empty key. */
  eventId: string | null;
  reason: string;
  /** TikTok's message, for a refusal by the API. */
  message: string | null;
  firstSeenAt: number | null;
  lastSeenAt: number;
  /** Whether the source still has the row (false: it was deleted or its key changed). */
  inSource: boolean | null;
}

/** True when a primary-key column is mapped to personal data: its values are never shown. */
export const keyIsPersonal = (plan: Pick<SyncPlan, "extraction" | "mapping">): boolean =>
  plan.extraction.primaryKey.some((column) => plan.mapping.some((m) => m.pii && "column" in m.from && m.from.column === column));

/**
 * The rows an activation's state remembers as rejected, with their keys read back from the
 * source (the state holds only their hashes). Reads, never writes.
 */
export async function listRejections(
  plan: SyncPlan,
  deps: { warehouse: Warehouse },
  options: { reason?: string } = {},
): Promise<RejectedRowListing[]> {
  const schema = plan.warehouse.stateSchema;
  if (!(await deps.warehouse.state.exists(schema))) return [];
  const records = await deps.warehouse.state.rejections(schema, plan.activation, options);
  const personal = keyIsPersonal(plan);
  const wanted = new Set(records.map((r) => r.pkHash));
  // The key values of the source rows that carry a remembered rejection: the same join a run makes.
  const found = new Map<string, Record<string, string>>();
  for await (const chunk of deps.warehouse.newRows(plan.extraction, { remembered: true })) {
    chunk.rows.forEach((row, i) => {
      const pk = chunk.keys[i];
      if (!pk || found.has(pk) || !wanted.has(pk)) return;
      found.set(pk, Object.fromEntries(plan.extraction.primaryKey.map((c) => [c, String(row[c])])));
    });
  }
  return records.map((r) => {
    const keyless = r.pkHash.startsWith("~");
    return {
      key: keyless || personal ? null : (found.get(r.pkHash) ?? null),
      eventId: keyless ? null : eventId(plan.activation, r.pkHash),
      reason: r.reason,
      message: r.message,
      firstSeenAt: r.firstSeenAt,
      lastSeenAt: r.lastSeenAt,
      inSource: keyless ? null : found.has(r.pkHash),
    };
  });
}
