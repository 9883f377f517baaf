import { eventId, type BatchOutcome, type TikTokClient, type TikTokEvent } from "@ferry/tiktok";
import type { AckedRow, AckLog, RejectedRow } from "@ferry/warehouse";
import { classifyTikTok } from "../failures.js";
import type { RunEvent } from "./report.js";
import { tallyOf, type EventTally, type RunTally } from "./tally.js";

/**
 * Acknowledged keys recorded at once, several batches of TikTok's answers together: one group
 * costs the warehouse and Ferry less a key than several (bench/FINDINGS.md#ack-flush). A crash
 * loses at most these to the state, not to TikTok: they are sent again, and TikTok deduplicates
 * them on event_id.
 */
export const ACK_FLUSH = 5000;

/** Mapped events waiting for a full batch, with the keys that record them, as parallel arrays. */
class Batch {
  readonly events: TikTokEvent[] = [];
  readonly keys: string[] = [];
  readonly probes: (string | undefined)[] = [];
  /** What each event is counted under once acknowledged: its name and identifiers. */
  readonly tallies: EventTally[] = [];
  get size() {
    return this.events.length;
  }
  push(event: TikTokEvent, key: string, probe: string | undefined) {
    this.events.push(event);
    this.keys.push(key);
    this.probes.push(probe);
    this.tallies.push(tallyOf(event));
  }
}

export interface SenderOptions {
  activation: string;
  batchSize: number;
  /** Batches in flight at once. */
  concurrency: number;
  testEventCode: string | undefined;
  /** Absent on a dry run: nothing is sent nor recorded. */
  tiktok: TikTokClient | undefined;
  eventSetId: string | null;
  /** What TikTok acknowledged, kept until ACK_FLUSH keys are recorded together; absent on a dry run. */
  acknowledged: AckLog | undefined;
  /** Records the events TikTok refused (already counted as rejected). */
  recordRefused(rows: RejectedRow[]): Promise<void>;
  tally: RunTally;
  clock(): number;
  emit(event: RunEvent): void;
  /** Stops the run: the first failure wins. */
  fail(error: unknown): void;
  /** Stops reading, without a failure of its own (TikTok's already counted). */
  stop(): void;
}

/**
 * Batches mapped events, sends full batches with bounded concurrency, and records what TikTok
 * acknowledged, only after it did.
 */
export class Sender {
  private batch = new Batch();
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly o: SenderOptions) {}

  /** Adds an event; true when its batch is full and should go (see dispatch). */
  push(event: TikTokEvent, key: string, probe: string | undefined): boolean {
    this.batch.push(event, key, probe);
    return this.batch.size >= this.o.batchSize;
  }

  /**
   * Starts sending the batch being filled and begins a new one. Synchronous, so that no
   * suspended frame keeps the sent events alive.
   */
  dispatch(): void {
    const { tally } = this.o;
    const full = this.batch;
    this.batch = new Batch();
    if (tally.batches === 0) this.measureFlight(true);
    const task: Promise<void> = this.send(full).catch((error: unknown) => {
      tally.counts.notSent += full.size;
      this.o.fail(error);
    });
    this.inflight.add(task);
    void task.finally(() => {
      this.inflight.delete(task);
      this.measureFlight();
    });
  }

  /**
   * Waits while more batches are out than requests may be in flight: one batch more waits at
   * the client's limiter and goes the moment a slot frees, instead of being mapped only then.
   */
  async bounded(): Promise<void> {
    if (this.inflight.size > this.o.concurrency) await Promise.race(this.inflight);
  }

  /** At the end: the last batch goes, unless the run stopped (then it counts as not sent). */
  async finish(stopped: boolean): Promise<void> {
    if (!stopped && this.batch.size > 0) this.dispatch();
    else this.o.tally.counts.notSent += this.batch.size;
    this.batch = new Batch();
    await Promise.all(this.inflight);
  }

  /** After an error: lets every batch out finish, whatever it answers. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.inflight);
  }

  /** Records what TikTok acknowledged and is kept. Never throws: keys it could not record count as not sent, and the run fails. */
  async flushAcknowledged(): Promise<void> {
    const log = this.o.acknowledged;
    const kept = log?.size ?? 0;
    if (kept === 0) return;
    try {
      // Not `counts.sent += await …`, which reads the count before waiting: two flushes
      // overlap, and the later write would drop the other's keys.
      const recorded = await log!.flush();
      this.o.tally.counts.sent += recorded;
    } catch (error) {
      this.o.tally.counts.notSent += kept;
      this.o.fail(error);
    }
  }

  // The client serialises the events when called and keeps only the body: while TikTok
  // answers, a batch in flight holds its keys, times and probes, and no event objects.
  private send(full: Batch): Promise<void> {
    const { tally } = this.o;
    tally.batches++;
    if (!this.o.acknowledged) {
      tally.counts.sent += full.size;
      full.tallies.forEach((t) => tally.sent(t));
      return Promise.resolve();
    }
    const times = full.events.map((e) => e.event_time);
    const outcome = this.o.tiktok!.sendBatch(this.o.eventSetId!, full.events, { testEventCode: this.o.testEventCode });
    return this.record(outcome, full.keys, times, full.probes, full.tallies);
  }

  private async record(
    sending: Promise<BatchOutcome>,
    keys: string[],
    times: number[],
    probes: (string | undefined)[],
    tallies: EventTally[],
  ): Promise<void> {
    const { tally, activation } = this.o;
    const outcome = await sending;
    tally.answered(outcome);
    if (outcome.status === "failed") {
      tally.counts.notSent += keys.length;
      tally.fail({ kind: classifyTikTok(outcome.kind, outcome.code, outcome.limit), code: outcome.code ?? null, message: outcome.message });
      this.o.stop();
      return;
    }
    const refusedAt = new Map(outcome.rejected.map((r) => [r.index, r]));
    const acked: AckedRow[] = [];
    const refused: RejectedRow[] = [];
    keys.forEach((pkHash, i) => {
      const r = refusedAt.get(i);
      if (r) {
        tally.reject("tiktok_refused");
        tally.sample("tiktok_refused", "event", undefined, eventId(activation, pkHash), r.message);
        refused.push({ pkHash, fingerprint: r.fingerprint, reason: "tiktok_refused", message: r.message });
      } else {
        // Ferry's own id, even where the user maps theirs: the state's key for the conversion.
        acked.push({ pkHash, eventId: eventId(activation, pkHash), eventTime: times[i]!, probe: probes[i] });
        tally.sent(tallies[i]!);
      }
    });
    this.o.emit({
      type: "batch",
      activation,
      size: keys.length,
      accepted: acked.length,
      rejected: refused.length,
      requests: outcome.requests,
    });
    // Counted as rejected already: a failure to remember them fails the run, no more.
    await this.o.recordRefused(refused).catch((error: unknown) => this.o.fail(error));
    // Only after TikTok's acknowledgement does the state say these were sent (ACK_FLUSH at a time).
    this.o.acknowledged!.add(acked);
    if (this.o.acknowledged!.size >= ACK_FLUSH) await this.flushAcknowledged();
  }

  private measureFlight(first = false): void {
    if (this.o.acknowledged) this.o.tally.measureFlight(this.o.tiktok?.usage(), this.o.clock(), first);
  }
}
