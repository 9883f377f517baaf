import { eventId, REJECT_REASONS, type createMapper } from "@ferry/tiktok";
import type { RejectedRow, Remembered, Row } from "@ferry/warehouse";
import type { RejectionMemory } from "../remembered.js";
import type { Sender } from "./sender.js";
import { SeenKeys } from "./seen-keys.js";
import type { RunTally } from "./tally.js";

type Mapper = ReturnType<typeof createMapper>;

/**
 * What a run does with each new row: passes over what is settled (a remembered rejection whose
 * row did not change, a key already seen), counts and samples what it rejects or defers, and
 * hands each event to the sender. Rejections to remember are kept for the caller to record.
 */
export class RowHandler {
  /** The first row of a key stands for the conversion; its repeats are duplicates. */
  private readonly seen = new SeenKeys();
  rejections: RejectedRow[] = [];

  constructor(
    private readonly activation: string,
    private readonly mapper: Mapper,
    private readonly memory: RejectionMemory,
    /** Fingerprints of rows with an empty key remembered as rejected: they cannot be joined on. */
    private readonly keyless: Set<string>,
    private readonly tally: RunTally,
    private readonly sender: Sender,
  ) {}

  /** Returns true when a batch is full and should be dispatched. */
  handle(row: Row, pkHash: string | null, remembered: Remembered | undefined, probe: string | undefined): boolean {
    const { tally, memory } = this;
    const result = this.mapper(row, pkHash);
    if (memory.unchanged(remembered, row, result)) {
      // Its key is settled: a repeat of it later in this run is not a first row.
      if (pkHash) this.seen.add(pkHash);
      return false;
    }
    const keylessPrint = pkHash ? undefined : memory.fingerprint(row);
    if (keylessPrint !== undefined && this.keyless.has(keylessPrint)) return false;
    // Rejected before, read again because its values or the mapping changed.
    const again = remembered !== undefined;
    if (pkHash && !this.seen.add(pkHash)) {
      // A repeat of a key an earlier run rejected was reported then: pass it over, as the
      // anti-join passes over the repeats of a key that was sent.
      if (again) return false;
      tally.counts.read++;
      tally.reject("duplicate_primary_key");
      tally.sample("duplicate_primary_key", "primary_key", row, this.idOf(pkHash));
      return false;
    }
    tally.counts.read++;
    if (again) tally.counts.rechecked = (tally.counts.rechecked ?? 0) + 1;
    if (result.ok) {
      if (result.dropped) tally.dropped(result.dropped, row, pkHash!);
      if (result.unknownContentKeys) tally.unknownContentKeys(result.unknownContentKeys);
      return this.sender.push(result.event, pkHash!, probe);
    }
    if (result.reason === "event_in_future") {
      // Time will make it valid: not a rejection, and not remembered.
      tally.counts.deferred++;
      tally.sample(result.reason, result.field, row, this.idOf(pkHash));
      return false;
    }
    if (again) tally.counts.rejectedAgain = (tally.counts.rejectedAgain ?? 0) + 1;
    tally.reject(result.reason);
    tally.sample(result.reason, result.field, row, this.idOf(pkHash), result.hint);
    if (pkHash && REJECT_REASONS[result.reason].remember) {
      this.rejections.push({ pkHash, fingerprint: memory.fingerprint(row), reason: result.reason });
    } else if (keylessPrint !== undefined) {
      // Kept under its fingerprint ("~", never a hex key hash); an identical row later in this
      // run is passed over like a remembered one.
      this.keyless.add(keylessPrint);
      this.rejections.push({ pkHash: `~${keylessPrint}`, fingerprint: keylessPrint, reason: result.reason });
    }
    return false;
  }

  /** A sampled row's event_id (a hash: computed only for the rows that are sampled). */
  private idOf(pkHash: string | null): string | undefined {
    return pkHash ? eventId(this.activation, pkHash) : undefined;
  }

  /** The rejections kept so far, handed over once. */
  takeRejections(): RejectedRow[] {
    const taken = this.rejections;
    this.rejections = [];
    return taken;
  }
}
