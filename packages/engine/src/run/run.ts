import { randomBytes } from "node:crypto";
import { createMapper, DEFAULT_IN_FLIGHT, type TikTokClient } from "@ferry/tiktok";
import type { Warehouse } from "@ferry/warehouse";
import type { SyncPlan } from "../compile/compile.js";
import { classifyError, classifyTikTok, explainColumnError, STOPPING_KINDS } from "../failures.js";
import { rejectionMemory } from "../remembered.js";
import type { RunEvent, RunReport } from "./report.js";
import { RowHandler } from "./rows.js";
import { Sender } from "./sender.js";
import { RunTally, type RunIdentity } from "./tally.js";

export { warningSettings } from "./tally.js";

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

/** Rejections recorded together. */
const REJECTION_FLUSH = 1000;
/** A run that grew the state this much refreshes the planner's statistics. */
const ANALYZE_AFTER = 10_000;

const newRunId = (started: number) =>
  `${new Date(started)
    .toISOString()
    .replace(/[-:.TZ]/g, "")
    .slice(0, 14)}-${randomBytes(4).toString("hex")}`;

/**
 * Runs a plan: streams the new rows, maps them, pushes full batches with bounded concurrency,
 * and records in the warehouse only what TikTok acknowledged, so a crash at any point loses
 * nothing (a resend is deduplicated by TikTok on the deterministic event_id).
 */
export async function run(plan: SyncPlan, deps: RunDeps, options: RunOptions = {}): Promise<RunReport> {
  const clock = deps.clock ?? Date.now;
  const started = clock();
  const id: RunIdentity = {
    runId: options.runId ?? newRunId(started),
    started,
    dryRun: options.dryRun ?? false,
    fullRefresh: options.fullRefresh ?? false,
    concurrency: Math.max(1, options.concurrency ?? DEFAULT_IN_FLIGHT),
  };
  const { warehouse } = deps;
  const schema = plan.warehouse.stateSchema;
  const emit = deps.onEvent ?? (() => {});
  const tally = new RunTally(plan);

  await warehouse.state.ensure(schema);
  return warehouse.withLock(plan.activation, schema, async () => {
    if (!id.dryRun)
      await warehouse.state.beginRun(schema, { runId: id.runId, activation: plan.activation, startedAt: started, dryRun: id.dryRun });
    emit({ type: "start", activation: plan.activation, runId: id.runId, dryRun: id.dryRun });
    await resolveEventSet(plan, deps, tally, id.dryRun);
    await stream(plan, deps, id, tally, clock, emit);
    const status = tally.failure
      ? STOPPING_KINDS.has(tally.failure.kind)
        ? "stopped"
        : "failed"
      : deps.signal?.aborted
        ? "cancelled"
        : "success";
    const report = tally.report(id, status, clock());
    if (!id.dryRun) await warehouse.state.finishRun(schema, id.runId, status, report);
    emit(progressOf(plan, tally, clock() - started));
    emit({ type: "finish", report });
    return report;
  });
}

const progressOf = (plan: SyncPlan, tally: RunTally, elapsedMs: number): RunEvent => ({
  type: "progress",
  activation: plan.activation,
  read: tally.counts.read,
  sent: tally.counts.sent,
  rejected: tally.counts.rejected,
  elapsedMs,
});

/** The plan's event set, asked of TikTok when the plan does not name it; a failure is the run's. */
async function resolveEventSet(plan: SyncPlan, deps: RunDeps, tally: RunTally, dryRun: boolean): Promise<void> {
  if (tally.eventSetId === null && deps.tiktok) {
    try {
      tally.eventSetId = await deps.tiktok.resolveEventSet(plan.destination.advertiserId, plan.activation);
    } catch (error) {
      const e = error as { kind?: string; code?: number; message: string };
      tally.fail({ kind: classifyTikTok(e.kind ?? "invalid", e.code), code: e.code ?? null, message: e.message });
    }
  }
  if (!dryRun && !tally.failure && (!deps.tiktok || tally.eventSetId === null)) {
    tally.fail({ kind: "internal", code: null, message: "a TikTok client is required to send" });
  }
}

/**
 * Reads the new rows chunk by chunk, hands each row to the RowHandler and full batches to the
 * Sender, then records what is left: acknowledgements, rejections, and the state's upkeep.
 */
async function stream(
  plan: SyncPlan,
  deps: RunDeps,
  id: RunIdentity,
  tally: RunTally,
  clock: () => number,
  emit: (event: RunEvent) => void,
): Promise<void> {
  const { warehouse } = deps;
  const schema = plan.warehouse.stateSchema;
  const name = plan.activation;
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  deps.signal?.addEventListener("abort", onAbort);
  const fail = (error: unknown) => {
    const e = error as { code?: string | number; message?: string };
    const kind = classifyError(error);
    const message = e.message ?? String(error);
    tally.fail({ kind, code: e.code ?? null, message: (kind === "query" && explainColumnError(message, plan)) || message });
    stop.abort();
  };
  const sender = new Sender({
    activation: name,
    batchSize: plan.destination.batchSize,
    concurrency: id.concurrency,
    testEventCode: plan.destination.testEventCode,
    tiktok: deps.tiktok,
    eventSetId: tally.eventSetId,
    acknowledged: id.dryRun ? undefined : warehouse.state.ackLog(schema, name, id.runId),
    recordRefused: (rows) => warehouse.state.recordRejected(schema, name, id.runId, rows),
    tally,
    clock,
    emit,
    fail,
    stop: () => stop.abort(),
  });
  const mapper = createMapper({
    activation: name,
    event: plan.event,
    mapping: plan.mappingSpec,
    defaultRegion: plan.phoneDefaultRegion,
    onInvalidProperty: plan.onInvalidProperty,
    maxEventAgeDays: plan.destination.maxEventAgeDays,
    now: Math.floor(id.started / 1000),
  });
  const keyless = await warehouse.state.keylessRejections(schema, name);
  const rows = new RowHandler(name, mapper, rejectionMemory(plan), keyless, tally, sender);
  const recordRejections = async () => {
    const taken = rows.takeRejections();
    if (!id.dryRun && taken.length) await warehouse.state.recordRejected(schema, name, id.runId, taken);
  };

  try {
    if (!tally.failure) {
      const options = { fullRefresh: id.fullRefresh, signal: stop.signal, whileRecording: !id.dryRun };
      for await (const chunk of warehouse.newRows(plan.extraction, options)) {
        for (let i = 0; i < chunk.rows.length; i++) {
          if (rows.handle(chunk.rows[i]!, chunk.keys[i]!, chunk.remembered[i], chunk.probes[i])) {
            sender.dispatch();
            await sender.bounded();
          }
        }
        if (rows.rejections.length >= REJECTION_FLUSH) await recordRejections();
        emit(progressOf(plan, tally, clock() - id.started));
        if (stop.signal.aborted) break;
      }
    }
    await sender.finish(stop.signal.aborted || !!tally.failure);
    await sender.flushAcknowledged();
    await recordRejections();
    await upkeep(warehouse, plan, id, tally);
  } catch (error) {
    await sender.settle();
    fail(error);
    // What TikTok acknowledged is still recorded, where the warehouse lets it.
    await sender.flushAcknowledged();
  } finally {
    deps.signal?.removeEventListener("abort", onAbort);
  }
}

/** The state's upkeep after a run that sent or rejected rows. */
async function upkeep(warehouse: Warehouse, plan: SyncPlan, id: RunIdentity, tally: RunTally): Promise<void> {
  if (id.dryRun) return;
  const schema = plan.warehouse.stateSchema;
  const { sent, rejected } = tally.counts;
  if (sent > 0) await warehouse.state.pruneRejected(schema, plan.activation);
  // A full refresh recorded again keys already recorded: keep one record a key.
  if (id.fullRefresh && sent > 0) await warehouse.state.forgetSuperseded(schema, plan.activation, id.runId);
  // A run that grew the state a lot leaves the planner's statistics behind: refresh them.
  if (sent + rejected >= ANALYZE_AFTER) await warehouse.state.analyze(schema);
}
