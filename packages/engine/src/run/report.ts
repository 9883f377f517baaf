import type { DropReason, RejectReason } from "@ferry/tiktok";
import type { IdentifierCounts } from "../coverage.js";
import type { FailureKind } from "../failures.js";

/**
 * `stopped`: TikTok throttled the run to a standstill or its daily limit was reached. What it
 * acknowledged is recorded, the rest is `notSent` and goes with the next run: not a failure
 * of Ferry, the warehouse or the configuration, and said by a `tiktok_throttled` warning.
 */
export type RunStatus = "success" | "stopped" | "failed" | "cancelled";

/** A run that failed or was cancelled: one TikTok's limits stopped is not (the next run goes on). */
export const runFailed = (report: Pick<RunReport, "status">): boolean => report.status === "failed" || report.status === "cancelled";

export interface RejectedSample {
  reason: RejectReason | DropReason;
  field: string;
  /** The row was sent without this field (an invalid optional property), not rejected. */
  dropped?: true;
  eventId?: string;
  /** Primary-key values, only when no key column is mapped to personal data. */
  primaryKey?: Record<string, string>;
  /** TikTok's message, for refusals by the API. */
  message?: string;
}

/** What a run did, in counts: never a row value, an identifier in clear, or a secret. */
export interface RunReport {
  reportVersion: 1;
  runId: string;
  activation: string;
  status: RunStatus;
  dryRun: boolean;
  fullRefresh: boolean;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  eventSetId: string | null;
  counts: {
    /** Rows read from the warehouse (new rows only). */
    read: number;
    /** Events acknowledged by TikTok (dry run: events that would be sent). */
    sent: number;
    rejected: number;
    rejectedByReason: Partial<Record<RejectReason, number>>;
    /** Rows dated in the future: not sent, not rejected, read again by later runs. */
    deferred: number;
    /** Mapped events not acknowledged because the run stopped. */
    notSent: number;
    /**
     * Events sent with an invalid optional property (or a second identifier) left out, by field
     * and reason; an event may count under several fields. Absent when none was.
     */
    droppedFields?: Record<string, Partial<Record<DropReason, number>>>;
    /** Events sent with at least one field left out. */
    eventsWithDropped?: number;
    /** Rows rejected by an earlier run, read again because their values or the mapping changed (in `read`). */
    rechecked?: number;
    /** Of those, rows rejected again (in `rejected`). */
    rejectedAgain?: number;
    /**
     * Of the sent events, how many carried each identifier, and two or more of them: the match
     * coverage TikTok does not report. Absent when none was sent.
     */
    identifiers?: IdentifierCounts;
    /** Sent events by name, where each row's name comes from a column. */
    byEvent?: Record<string, number>;
    /** Keys of `contents` items TikTok does not know, left out: events whose items had each. */
    unknownContentKeys?: Record<string, number>;
  };
  rowsPerSecond: number;
  batches: number;
  requests: number;
  /** Requests TikTok made us repeat, by cause: what the network and the API put this run through. */
  retries: { throttled: number; serverErrors: number; network: number; waitedMs: number };
  /**
   * Requests to TikTok in flight: the most the run allowed, the most it had at once (fewer
   * while TikTok throttles), and their time-weighted mean from the first batch to the last answer.
   */
  inFlight?: { max: number; peak: number; mean: number };
  samples: RejectedSample[];
  /** Why the run stopped: `kind` says what a human does next (see describeFailure). */
  error?: { kind: FailureKind; code: string | number | null; message: string };
  warnings: Warning[];
}

export type WarningCode =
  | "run_failed"
  | "tiktok_throttled"
  | "auth_failed"
  | "permission_denied"
  | "rejected_share"
  | "dropped_share"
  | "duplicate_keys"
  | "identifier_coverage"
  | "deprecated_event"
  | "events_too_old"
  | "tiktok_refused";

export interface Warning {
  code: WarningCode;
  severity: "error" | "warning";
  message: string;
  /** What a human should do about it. */
  fix: string;
}

/** Progress callbacks, dbt-style: the CLI draws them, the Action logs them. */
export type RunEvent =
  | { type: "start"; activation: string; runId: string; dryRun: boolean }
  | { type: "progress"; activation: string; read: number; sent: number; rejected: number; elapsedMs: number }
  | { type: "batch"; activation: string; size: number; accepted: number; rejected: number; requests: number }
  | { type: "finish"; report: RunReport };
