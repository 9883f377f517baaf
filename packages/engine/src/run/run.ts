import { randomBytes } from "node:crypto";
import {
  createMapper,
  eventId,
  type BatchOutcome,
  type DropReason,
  type Dropped,
  type RejectReason,
  type TikTokClient,
  type TikTokEvent,
  REJECT_REASONS,
  DEFAULT_IN_FLIGHT,
} from "@ferry/tiktok";
import type { AckedRow, RejectedRow, Row, Warehouse } from "@ferry/warehouse";
import type { SyncPlan } from "../compile/compile.js";
import { rejectionMemory } from "../remembered.js";
import { keyIsPersonal } from "../rejections.js";
import { SeenKeys } from "./seen-keys.js";
import { carriedBy, countIdentifiers, identifierCounts, type Carried } from "../coverage.js";
import { classifyError, classifyTikTok, explainColumnError, STOPPING_KINDS } from "../failures.js";
import { deriveWarnings } from "../warnings/warnings.js";
import type { RejectedSample, RunEvent, RunReport } from "./report.js";

export interface RunDeps {
  warehouse: Warehouse;
  /** Not needed for a dry run when the plan names its event set. */
  tiktok?: TikTokClient;
  /** Milliseconds since the epoch. */
  clock?: () => number;
  /** Stops reading; batches in flight finish and are recorded. */
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
}

export interface RunOptions {
  dryRun?: boolean;
  fullRefresh?: boolean;
  /** Batches in flight at once. */
  concurrency?: number;
  runId?: string;
}

const SAMPLES_PER_REASON = 3;
const REJECTION_FLUSH = 1000;
/**
 * Acknowledged keys recorded at once, several batches of TikTok's answers together: one COPY of
 * five thousand keys costs PostgreSQL and Ferry a third less a key than five of a thousand
 * (measured, 300k keys: 0.79 against 0.94 s; Ferry's CPU 0.15 against 0.21 s). Benchmark at a
 * million rows: 11.5-12.3 -> 10.5-10.8 s, PostgreSQL's CPU 4.9-5.1 -> 3.9-4.1 s, peak RSS
 * 177-178 -> 188-189 MB (3,000: 10.7-11.1 s, 182-183 MB). A crash loses at most these to the
 * state, not to TikTok: they are sent again, and TikTok deduplicates them on event_id.
 */
const ACK_FLUSH = 5000;
const ANALYZE_AFTER = 10_000;

/** Mapped events waiting for a full batch, with the keys that record them, as parallel arrays. */
class Batch {
  readonly events: TikTokEvent[] = [];
  readonly keys: string[] = [];
  readonly probes: (string | undefined)[] = [];
  /** What each event is counted under once acknowledged: its name and identifiers. */
  readonly tallies: Tally[] = [];
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

/** An event's name and the identifiers it carries: what coverage and names are counted from. */
type Tally = { name: string; carried: Carried };
const tallyOf = (e: TikTokEvent): Tally => ({ name: e.event, carried: carriedBy(e.user) });

/** What deriveWarnings needs of a plan: its thresholds, and the names a fix line gives. */
export const warningSettings = (plan: SyncPlan) => ({
  ...plan.warnings,
  maxEventAgeDays: plan.destination.maxEventAgeDays,
  context: {
    warehouse: plan.warehouse.name,
    urlEnv: plan.warehouse.urlEnv,
    stateSchema: plan.warehouse.stateSchema,
    accessTokenEnv: plan.destination.accessTokenEnv,
    file: plan.file,
  },
});

/**
 * Runs a plan: streams the new rows, maps them, pushes full batches with bounded concurrency,
 * and records in the warehouse only what TikTok acknowledged, so a crash at any point loses
 * nothing (a resend is deduplicated by TikTok on the deterministic event_id).
 */
export async function run(plan: SyncPlan, deps: RunDeps, options: RunOptions = {}): Promise<RunReport> {
  const clock = deps.clock ?? Date.now;
  const started = clock();
  const runId =
    options.runId ??
    `${new Date(started)
      .toISOString()
      .replace(/[-:.TZ]/g, "")
      .slice(0, 14)}-${randomBytes(4).toString("hex")}`;
  const dryRun = options.dryRun ?? false;
  const fullRefresh = options.fullRefresh ?? false;
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_IN_FLIGHT);
  const { warehouse } = deps;
  const schema = plan.warehouse.stateSchema;
  const name = plan.activation;
  const emit = deps.onEvent ?? (() => {});

  const counts: RunReport["counts"] = { read: 0, sent: 0, rejected: 0, rejectedByReason: {}, deferred: 0, notSent: 0 };
  const samples: RejectedSample[] = [];
  const progress = () =>
    emit({
      type: "progress",
      activation: name,
      read: counts.read,
      sent: counts.sent,
      rejected: counts.rejected,
      elapsedMs: clock() - started,
    });
  let batches = 0;
  let requests = 0;
  const retries = { throttled: 0, serverErrors: 0, network: 0, waitedMs: 0 };
  // The client's requests in flight (request-milliseconds) from the first batch to the last answer.
  const flight = { first: 0, last: 0, startMs: 0, endMs: 0, peak: 0 };
  let eventSetId: string | null = plan.destination.eventSetId ?? null;
  let failure: RunReport["error"] | undefined;
  const piiKey = keyIsPersonal(plan);

  const sample = (
    reason: RejectReason | DropReason,
    field: string,
    row: Row | undefined,
    eventId?: string,
    message?: string,
    dropped?: true,
  ) => {
    if (samples.filter((s) => s.reason === reason && s.field === field).length >= SAMPLES_PER_REASON) return;
    const primaryKey = row && !piiKey ? Object.fromEntries(plan.extraction.primaryKey.map((c) => [c, String(row[c])])) : undefined;
    samples.push({
      reason,
      field,
      ...(dropped ? { dropped } : {}),
      ...(eventId ? { eventId } : {}),
      ...(primaryKey ? { primaryKey } : {}),
      ...(message ? { message } : {}),
    });
  };
  const countDropped = (dropped: readonly Dropped[], row: Row, pkHash: string) => {
    counts.eventsWithDropped = (counts.eventsWithDropped ?? 0) + 1;
    const byField = (counts.droppedFields ??= {});
    for (const { field, reason } of dropped) {
      const byReason = (byField[field] ??= {});
      byReason[reason] = (byReason[reason] ?? 0) + 1;
      sample(reason, field, row, eventId(name, pkHash), undefined, true);
    }
  };
  // Of the events TikTok acknowledged (a dry run: would send): identifiers carried, and names.
  const identifiers = identifierCounts(plan.mappingSpec);
  const byEvent: Record<string, number> = {};
  const tallySent = (t: Tally) => {
    countIdentifiers(identifiers, t.carried);
    byEvent[t.name] = (byEvent[t.name] ?? 0) + 1;
  };
  const unknownKeys: Record<string, number> = {};
  const countRejection = (reason: RejectReason) => {
    counts.rejected++;
    counts.rejectedByReason[reason] = (counts.rejectedByReason[reason] ?? 0) + 1;
  };

  const finish = (status: RunReport["status"]): RunReport => {
    const finishedAt = clock();
    const durationMs = Math.max(0, finishedAt - started);
    const base = {
      reportVersion: 1 as const,
      runId,
      activation: name,
      status,
      dryRun,
      fullRefresh,
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(finishedAt).toISOString(),
      durationMs,
      eventSetId,
      counts: {
        ...counts,
        ...(counts.sent > 0 ? { identifiers } : {}),
        ...(typeof plan.event === "object" && counts.sent > 0 ? { byEvent } : {}),
        ...(Object.keys(unknownKeys).length > 0 ? { unknownContentKeys: unknownKeys } : {}),
      },
      rowsPerSecond: durationMs > 0 ? Math.round((counts.read * 1000) / durationMs) : counts.read,
      batches,
      requests,
      retries,
      samples,
      ...(failure ? { error: failure } : {}),
      ...(flight.peak > 0
        ? {
            inFlight: {
              max: concurrency,
              peak: flight.peak,
              mean: Math.round((100 * (flight.endMs - flight.startMs)) / Math.max(1, flight.last - flight.first)) / 100,
            },
          }
        : {}),
    };
    return { ...base, warnings: deriveWarnings(base, warningSettings(plan)) };
  };

  await warehouse.state.ensure(schema);
  return warehouse.withLock(name, schema, async () => {
    if (!dryRun) await warehouse.state.beginRun(schema, { runId, activation: name, startedAt: started, dryRun });
    emit({ type: "start", activation: name, runId, dryRun });

    if (eventSetId === null && deps.tiktok) {
      try {
        eventSetId = await deps.tiktok.resolveEventSet(plan.destination.advertiserId, name);
      } catch (error) {
        const e = error as { kind?: string; code?: number; message: string };
        failure = { kind: classifyTikTok(e.kind ?? "invalid", e.code), code: e.code ?? null, message: e.message };
      }
    }
    if (!dryRun && !failure && (!deps.tiktok || eventSetId === null)) {
      failure = { kind: "internal", code: null, message: "a TikTok client is required to send" };
    }

    const mapper = createMapper({
      activation: name,
      event: plan.event,
      mapping: plan.mappingSpec,
      defaultRegion: plan.phoneDefaultRegion,
      onInvalidProperty: plan.onInvalidProperty,
      maxEventAgeDays: plan.destination.maxEventAgeDays,
      now: Math.floor(started / 1000),
    });
    const memory = rejectionMemory(plan);
    // The first row of a key stands for the conversion; its repeats are duplicates.
    const seen = new SeenKeys();
    // Rows with an empty key are remembered by their values, which the new-rows query cannot join on.
    const keyless = await warehouse.state.keylessRejections(schema, name);
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    deps.signal?.addEventListener("abort", onAbort);
    const inflight = new Set<Promise<void>>();
    let batch = new Batch();
    let rejections: RejectedRow[] = [];
    // Keeps what TikTok acknowledged until ACK_FLUSH keys are recorded together.
    const acknowledged = dryRun ? undefined : warehouse.state.ackLog(schema, name, runId);

    const fail = (error: unknown) => {
      const e = error as { kind?: string; code?: string | number; message?: string };
      const kind = classifyError(error);
      const message = e.message ?? String(error);
      failure ??= { kind, code: e.code ?? null, message: (kind === "query" && explainColumnError(message, plan)) || message };
      stop.abort();
    };
    // Never throws: keys the state could not take count as not sent, and the run fails.
    const flushAcknowledged = async () => {
      const kept = acknowledged?.size ?? 0;
      if (kept === 0) return;
      try {
        // Not `counts.sent += await …`, which reads the count before waiting: two flushes
        // overlap, and the later write would drop the other's keys (seen: 910,000 of a million).
        const recorded = await acknowledged!.flush();
        counts.sent += recorded;
      } catch (error) {
        counts.notSent += kept;
        fail(error);
      }
    };

    const flushRejections = async () => {
      if (dryRun || rejections.length === 0) return;
      const rows = rejections;
      rejections = [];
      await warehouse.state.recordRejected(schema, name, runId, rows);
    };

    // The client serialises the events when called and keeps only the body: while TikTok
    // answers, a batch in flight holds its keys, times and probes, and no event objects.
    const send = (full: Batch): Promise<void> => {
      batches++;
      if (dryRun) {
        counts.sent += full.size;
        full.tallies.forEach(tallySent);
        return Promise.resolve();
      }
      const times = full.events.map((e) => e.event_time);
      const outcome = deps.tiktok!.sendBatch(eventSetId!, full.events, { testEventCode: plan.destination.testEventCode });
      return record(outcome, full.keys, times, full.probes, full.tallies);
    };

    const record = async (
      sending: Promise<BatchOutcome>,
      keys: string[],
      times: number[],
      probes: (string | undefined)[],
      tallies: Tally[],
    ) => {
      const outcome = await sending;
      requests += outcome.requests;
      retries.throttled += outcome.retries.throttled;
      retries.serverErrors += outcome.retries.serverErrors;
      retries.network += outcome.retries.network;
      retries.waitedMs += outcome.retries.waitedMs;
      if (outcome.status === "failed") {
        counts.notSent += keys.length;
        failure ??= {
          kind: classifyTikTok(outcome.kind, outcome.code, outcome.limit),
          code: outcome.code ?? null,
          message: outcome.message,
        };
        stop.abort();
        return;
      }
      const refused = new Map(outcome.rejected.map((r) => [r.index, r]));
      const acked: AckedRow[] = [];
      const tiktokRejections: RejectedRow[] = [];
      keys.forEach((pkHash, i) => {
        const r = refused.get(i);
        if (r) {
          countRejection("tiktok_refused");
          sample("tiktok_refused", "event", undefined, eventId(name, pkHash), r.message);
          tiktokRejections.push({ pkHash, fingerprint: r.fingerprint, reason: "tiktok_refused", message: r.message });
        } else {
          // Ferry's own id, even where the user maps theirs: the state's key for the conversion.
          acked.push({ pkHash, eventId: eventId(name, pkHash), eventTime: times[i]!, probe: probes[i] });
          tallySent(tallies[i]!);
        }
      });
      emit({
        type: "batch",
        activation: name,
        size: keys.length,
        accepted: acked.length,
        rejected: tiktokRejections.length,
        requests: outcome.requests,
      });
      // Counted as rejected already: a failure to remember them fails the run, no more.
      await warehouse.state.recordRejected(schema, name, runId, tiktokRejections).catch(fail);
      // Only after TikTok's acknowledgement does the state say these were sent (ACK_FLUSH at a time).
      acknowledged!.add(acked);
      if (acknowledged!.size >= ACK_FLUSH) await flushAcknowledged();
    };

    // Starts sending the batch being filled and begins a new one. Synchronous, so that no
    // suspended frame keeps the sent events alive.
    const dispatch = () => {
      const size = batch.size;
      if (!dryRun && batches === 0) measureFlight(true);
      const task: Promise<void> = send(batch).catch((error: unknown) => {
        counts.notSent += size;
        fail(error);
      });
      batch = new Batch();
      inflight.add(task);
      void task.finally(() => {
        inflight.delete(task);
        measureFlight();
      });
    };
    // The client's limiter knows the requests in flight; the first batch starts the span.
    const measureFlight = (first = false) => {
      const usage = deps.tiktok?.usage();
      if (!usage) return;
      if (first) {
        flight.first = clock();
        flight.startMs = usage.inFlightMs;
      }
      flight.last = clock();
      flight.endMs = usage.inFlightMs;
      flight.peak = Math.max(flight.peak, usage.peak);
    };
    // One batch more than the requests in flight: it waits, serialised, at the client's limiter
    // and goes the moment a slot frees, instead of being mapped only then.
    const bounded = async () => {
      if (inflight.size > concurrency) await Promise.race(inflight);
    };

    try {
      if (!failure) {
        for await (const chunk of warehouse.newRows(plan.extraction, { fullRefresh, signal: stop.signal, whileRecording: !dryRun })) {
          for (let i = 0; i < chunk.rows.length; i++) {
            const row = chunk.rows[i]!;
            const pkHash = chunk.keys[i]!;
            const remembered = chunk.remembered[i];
            const result = mapper(row, pkHash);
            if (memory.unchanged(remembered, row, result)) {
              // Its key is settled: a repeat of it later in this run is not a first row.
              if (pkHash) seen.add(pkHash);
              continue;
            }
            const keylessPrint = pkHash ? undefined : memory.fingerprint(row);
            if (keylessPrint !== undefined && keyless.has(keylessPrint)) continue;
            // Rejected before, read again because its values or the mapping changed.
            const again = remembered !== undefined;
            if (pkHash && !seen.add(pkHash)) {
              // A repeat of a key an earlier run rejected was reported then: pass it over, as
              // the anti-join passes over the repeats of a key that was sent.
              if (again) continue;
              counts.read++;
              countRejection("duplicate_primary_key");
              sample("duplicate_primary_key", "primary_key", row, eventId(name, pkHash));
              continue;
            }
            counts.read++;
            if (again) counts.rechecked = (counts.rechecked ?? 0) + 1;
            if (result.ok) {
              if (result.dropped) countDropped(result.dropped, row, pkHash!);
              for (const key of result.unknownContentKeys ?? []) unknownKeys[key] = (unknownKeys[key] ?? 0) + 1;
              batch.push(result.event, pkHash!, chunk.probes[i]);
              if (batch.size >= plan.destination.batchSize) {
                dispatch();
                await bounded();
              }
            } else if (result.reason === "event_in_future") {
              // Time will make it valid: not a rejection, and not remembered.
              counts.deferred++;
              sample(result.reason, result.field, row, pkHash ? eventId(name, pkHash) : undefined);
            } else {
              if (again) counts.rejectedAgain = (counts.rejectedAgain ?? 0) + 1;
              countRejection(result.reason);
              sample(result.reason, result.field, row, pkHash ? eventId(name, pkHash) : undefined, result.hint);
              if (pkHash && REJECT_REASONS[result.reason].remember) {
                rejections.push({ pkHash, fingerprint: memory.fingerprint(row), reason: result.reason });
              } else if (keylessPrint !== undefined) {
                // Kept under its fingerprint ("~", never a hex key hash); an identical row later in
                // this run is passed over like a remembered one.
                keyless.add(keylessPrint);
                rejections.push({ pkHash: `~${keylessPrint}`, fingerprint: keylessPrint, reason: result.reason });
              }
            }
          }
          if (rejections.length >= REJECTION_FLUSH) await flushRejections();
          progress();
          if (stop.signal.aborted) break;
        }
        if (!stop.signal.aborted && batch.size > 0) dispatch();
        else counts.notSent += batch.size;
      }
      await Promise.all(inflight);
      await flushAcknowledged();
      await flushRejections();
      if (!dryRun && counts.sent > 0) await warehouse.state.pruneRejected(schema, name);
      // A full refresh recorded again keys already recorded: keep one record a key.
      if (!dryRun && fullRefresh && counts.sent > 0) await warehouse.state.forgetSuperseded(schema, name, runId);
      // A run that grew the state a lot leaves the planner's statistics behind: refresh them.
      if (!dryRun && counts.sent + counts.rejected >= ANALYZE_AFTER) await warehouse.state.analyze(schema);
    } catch (error) {
      await Promise.allSettled(inflight);
      fail(error);
      // What TikTok acknowledged is still recorded, where the warehouse lets it.
      await flushAcknowledged();
    } finally {
      deps.signal?.removeEventListener("abort", onAbort);
    }

    const status = failure ? (STOPPING_KINDS.has(failure.kind) ? "stopped" : "failed") : deps.signal?.aborted ? "cancelled" : "success";
    const report = finish(status);
    if (!dryRun) await warehouse.state.finishRun(schema, runId, status, report);
    progress();
    emit({ type: "finish", report });
    return report;
  });
}
