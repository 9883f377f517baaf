import { eventId, type BatchOutcome, type DropReason, type Dropped, type RejectReason, type TikTokEvent } from "@ferry/tiktok";
import type { Row } from "@ferry/warehouse";
import type { SyncPlan } from "../compile/compile.js";
import { carriedBy, countIdentifiers, identifierCounts, type Carried } from "../coverage.js";
import { keyIsPersonal } from "../rejections.js";
import { deriveWarnings } from "../warnings/warnings.js";
import type { RejectedSample, RunReport } from "./report.js";

const SAMPLES_PER_REASON = 3;

/** An event's name and the identifiers it carries: what coverage and names are counted from. */
export type EventTally = { name: string; carried: Carried };
export const tallyOf = (e: TikTokEvent): EventTally => ({ name: e.event, carried: carriedBy(e.user) });

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

/** The report's identity and options, known at the start. */
export interface RunIdentity {
  runId: string;
  started: number;
  dryRun: boolean;
  fullRefresh: boolean;
  concurrency: number;
}

/**
 * Everything a run counts, and the report made of it: counts by outcome and reason, samples
 * (never a value that is personal data), identifiers and event names of what was sent, TikTok's
 * retries and the requests it had in flight.
 */
export class RunTally {
  readonly counts: RunReport["counts"] = { read: 0, sent: 0, rejected: 0, rejectedByReason: {}, deferred: 0, notSent: 0 };
  readonly samples: RejectedSample[] = [];
  readonly retries = { throttled: 0, serverErrors: 0, network: 0, waitedMs: 0 };
  private readonly identifiers: ReturnType<typeof identifierCounts>;
  private readonly byEvent: Record<string, number> = {};
  private readonly unknownKeys: Record<string, number> = {};
  private readonly piiKey: boolean;
  batches = 0;
  requests = 0;
  failure: RunReport["error"] | undefined;
  eventSetId: string | null;
  /** The client's requests in flight (request-milliseconds) from the first batch to the last answer. */
  readonly flight = { first: 0, last: 0, startMs: 0, endMs: 0, peak: 0 };

  constructor(private readonly plan: SyncPlan) {
    this.piiKey = keyIsPersonal(plan);
    this.identifiers = identifierCounts(plan.mappingSpec);
    this.eventSetId = plan.destination.eventSetId ?? null;
  }

  /** Keeps a few samples a reason and field; a row's key only when no key column is personal. */
  sample(reason: RejectReason | DropReason, field: string, row: Row | undefined, event?: string, message?: string, dropped?: true): void {
    if (this.samples.filter((s) => s.reason === reason && s.field === field).length >= SAMPLES_PER_REASON) return;
    const key = this.plan.extraction.primaryKey;
    const primaryKey = row && !this.piiKey ? Object.fromEntries(key.map((c) => [c, String(row[c])])) : undefined;
    this.samples.push({
      reason,
      field,
      ...(dropped ? { dropped } : {}),
      ...(event ? { eventId: event } : {}),
      ...(primaryKey ? { primaryKey } : {}),
      ...(message ? { message } : {}),
    });
  }

  reject(reason: RejectReason): void {
    this.counts.rejected++;
    this.counts.rejectedByReason[reason] = (this.counts.rejectedByReason[reason] ?? 0) + 1;
  }

  /** An event sent without fields it got wrong. */
  dropped(list: readonly Dropped[], row: Row, pkHash: string): void {
    this.counts.eventsWithDropped = (this.counts.eventsWithDropped ?? 0) + 1;
    const byField = (this.counts.droppedFields ??= {});
    for (const { field, reason } of list) {
      const byReason = (byField[field] ??= {});
      byReason[reason] = (byReason[reason] ?? 0) + 1;
      this.sample(reason, field, row, eventId(this.plan.activation, pkHash), undefined, true);
    }
  }

  /** `contents` keys TikTok does not read, counted by name (personal data as "(other)"). */
  unknownContentKeys(keys: readonly string[]): void {
    for (const key of keys) this.unknownKeys[key] = (this.unknownKeys[key] ?? 0) + 1;
  }

  /** An event TikTok acknowledged (a dry run: would send). */
  sent(t: EventTally): void {
    countIdentifiers(this.identifiers, t.carried);
    this.byEvent[t.name] = (this.byEvent[t.name] ?? 0) + 1;
  }

  /** A batch's requests and retries. */
  answered(outcome: BatchOutcome): void {
    this.requests += outcome.requests;
    this.retries.throttled += outcome.retries.throttled;
    this.retries.serverErrors += outcome.retries.serverErrors;
    this.retries.network += outcome.retries.network;
    this.retries.waitedMs += outcome.retries.waitedMs;
  }

  /** The first failure is the run's. */
  fail(failure: NonNullable<RunReport["error"]>): void {
    this.failure ??= failure;
  }

  /** The client's requests in flight, from its limiter; the first batch starts the span. */
  measureFlight(usage: { inFlightMs: number; peak: number } | undefined, now: number, first = false): void {
    if (!usage) return;
    if (first) {
      this.flight.first = now;
      this.flight.startMs = usage.inFlightMs;
    }
    this.flight.last = now;
    this.flight.endMs = usage.inFlightMs;
    this.flight.peak = Math.max(this.flight.peak, usage.peak);
  }

  report(id: RunIdentity, status: RunReport["status"], finishedAt: number): RunReport {
    const { counts, flight, plan } = this;
    const durationMs = Math.max(0, finishedAt - id.started);
    const base = {
      reportVersion: 1 as const,
      runId: id.runId,
      activation: plan.activation,
      status,
      dryRun: id.dryRun,
      fullRefresh: id.fullRefresh,
      startedAt: new Date(id.started).toISOString(),
      finishedAt: new Date(finishedAt).toISOString(),
      durationMs,
      eventSetId: this.eventSetId,
      counts: {
        ...counts,
        ...(counts.sent > 0 ? { identifiers: this.identifiers } : {}),
        ...(typeof plan.event === "object" && counts.sent > 0 ? { byEvent: this.byEvent } : {}),
        ...(Object.keys(this.unknownKeys).length > 0 ? { unknownContentKeys: this.unknownKeys } : {}),
      },
      rowsPerSecond: durationMs > 0 ? Math.round((counts.read * 1000) / durationMs) : counts.read,
      batches: this.batches,
      requests: this.requests,
      retries: this.retries,
      samples: this.samples,
      ...(this.failure ? { error: this.failure } : {}),
      ...(flight.peak > 0
        ? {
            inFlight: {
              max: id.concurrency,
              peak: flight.peak,
              mean: Math.round((100 * (flight.endMs - flight.startMs)) / Math.max(1, flight.last - flight.first)) / 100,
            },
          }
        : {}),
    };
    return { ...base, warnings: deriveWarnings(base, warningSettings(plan)) };
  }
}
