import type { SyncPlan } from "../compile/compile.js";
import { deriveWarnings } from "../warnings/warnings.js";
import { Connections } from "./connections.js";
import type { RunEvent, RunReport } from "./report.js";
import { classifyError } from "../failures.js";
import { run, warningSettings } from "./run.js";

export interface RunPlansOptions {
  env: Readonly<Record<string, string | undefined>>;
  dryRun?: boolean;
  fullRefresh?: boolean;
  /** Requests in flight at most, over every plan's own setting (the CLI's --concurrency). */
  concurrency?: number;
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
}

/** The report of a run that could not start (missing variables, the lock held, the warehouse down). */
function notStarted(plan: SyncPlan, options: RunPlansOptions, error: unknown): RunReport {
  const e = error as { code?: string; message?: string };
  const now = new Date().toISOString();
  const base = {
    reportVersion: 1 as const,
    runId: "",
    activation: plan.activation,
    status: "failed" as const,
    dryRun: options.dryRun ?? false,
    fullRefresh: options.fullRefresh ?? false,
    startedAt: now,
    finishedAt: now,
    durationMs: 0,
    eventSetId: plan.destination.eventSetId ?? null,
    counts: { read: 0, sent: 0, rejected: 0, rejectedByReason: {}, deferred: 0, notSent: 0 },
    rowsPerSecond: 0,
    batches: 0,
    requests: 0,
    retries: { throttled: 0, serverErrors: 0, network: 0, waitedMs: 0 },
    samples: [],
    error: { kind: classifyError(error), code: e.code ?? null, message: e.message ?? String(error) },
  };
  return { ...base, warnings: deriveWarnings(base, warningSettings(plan)) };
}

/**
 * Runs plans one after another, connecting to what their environment variables name. A plan
 * that fails does not stop the others; every plan gets a report.
 */
export async function runPlans(plans: readonly SyncPlan[], options: RunPlansOptions): Promise<RunReport[]> {
  const connections = new Connections(options.env);
  const reports: RunReport[] = [];
  try {
    for (const plan of plans) {
      if (options.signal?.aborted) break;
      try {
        const warehouse = connections.warehouse(plan);
        const needsClient = !options.dryRun || !plan.destination.eventSetId;
        const inFlight = options.concurrency ?? plan.destination.requestsInFlight;
        const tiktok = needsClient ? connections.tiktok(plan, inFlight) : undefined;
        reports.push(
          await run(
            plan,
            {
              warehouse,
              ...(tiktok ? { tiktok } : {}),
              ...(options.signal ? { signal: options.signal } : {}),
              ...(options.onEvent ? { onEvent: options.onEvent } : {}),
            },
            { dryRun: options.dryRun ?? false, fullRefresh: options.fullRefresh ?? false, concurrency: inFlight },
          ),
        );
      } catch (error) {
        reports.push(notStarted(plan, options, error));
      }
    }
  } finally {
    await connections.close();
  }
  return reports;
}
