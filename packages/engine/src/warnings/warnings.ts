import { DEPRECATED_EVENT_NAMES, type EventName } from "@ferry/schema";
import { describeFailure, type FailureContext } from "../failures.js";
import type { RunReport, Warning, WarningCode } from "../run/report.js";

/** The fields a run left out of sent events, one entry a field and reason, most first. */
export function droppedList(counts: RunReport["counts"]): { field: string; reason: string; count: number }[] {
  return Object.entries(counts.droppedFields ?? {})
    .flatMap(([field, reasons]) => Object.entries(reasons).map(([reason, n]) => ({ field, reason, count: n ?? 0 })))
    .sort((a, b) => b.count - a.count);
}

/** An activation's warning settings, and the names a fix line gives. */
export interface WarningSettings {
  enabled: boolean;
  maxRejectedPercent: number;
  maxDroppedPercent?: number;
  maxEventAgeDays?: number;
  minIdentifierCoverage?: Partial<Record<"email" | "phone" | "external_id", number>>;
  /** Names the fix lines give (warehouse, variables, file); never a value. */
  context?: FailureContext;
}

type Report = Omit<RunReport, "warnings">;
/** One thing in a run that needs a human, or nothing. */
type Rule = (report: Report, settings: WarningSettings) => Warning | undefined;
const warning = (code: WarningCode, message: string, fix: string): Warning => ({ code, severity: "warning", message, fix });

/** A failed run is an error; one TikTok's limits stopped is a warning (the next run goes on). */
const failure: Rule = (report, settings) => {
  if (!((report.status === "failed" || report.status === "stopped") && report.error)) return undefined;
  const { kind, code, message } = report.error;
  const { title, fix } = describeFailure(kind, settings.context);
  const stopped = report.status === "stopped";
  return {
    code: stopped
      ? "tiktok_throttled"
      : kind === "tiktok_auth"
        ? "auth_failed"
        : kind === "tiktok_permission"
          ? "permission_denied"
          : "run_failed",
    severity: stopped ? "warning" : "error",
    // The code only where it says more than the kind (a TikTok or database code).
    message: `${title}${code !== null && code !== kind ? ` (${code})` : ""}: ${message}`,
    fix,
  };
};

/**
 * Rows rejected before and checked again (after a mapping change) were reported when first
 * seen: the share is of the rows new to this run, or a rerun would read "100% rejected".
 */
const rejectedShare: Rule = ({ counts }, settings) => {
  const fresh = counts.read - counts.deferred - (counts.rechecked ?? 0);
  const rejectedFresh = counts.rejected - (counts.rejectedAgain ?? 0);
  if (fresh <= 0) return undefined;
  const share = (100 * rejectedFresh) / fresh;
  if (share <= settings.maxRejectedPercent) return undefined;
  const reasons = Object.entries(counts.rejectedByReason)
    .sort(([, a], [, b]) => (b ?? 0) - (a ?? 0))
    .map(([reason, n]) => `${reason}: ${n}`)
    .join(", ");
  return warning(
    "rejected_share",
    `${rejectedFresh} of ${fresh} new rows (${share.toFixed(1)}%) were rejected, above the ${settings.maxRejectedPercent}% threshold (${reasons}).`,
    "Fix the rows upstream (they are retried once their values change) or the mapping; raise warnings.max_rejected_percent if this share is expected.",
  );
};

const droppedShare: Rule = ({ counts }, settings) => {
  const withDropped = counts.eventsWithDropped ?? 0;
  const sentOrSending = counts.read - counts.deferred - counts.rejected;
  if (withDropped === 0 || sentOrSending <= 0) return undefined;
  const share = (100 * withDropped) / sentOrSending;
  const limit = settings.maxDroppedPercent ?? 5;
  if (share <= limit) return undefined;
  const fields = droppedList(counts)
    .map((d) => `${d.field} ${d.reason}: ${d.count}`)
    .join(", ");
  return warning(
    "dropped_share",
    `${withDropped} of ${sentOrSending} events (${share.toFixed(1)}%) were sent with an invalid field left out, above the ${limit}% threshold (${fields}).`,
    "Fix the values upstream or the mapping (see the samples); set on_invalid_property: reject_row to reject such rows instead, or raise warnings.max_dropped_percent if this share is expected.",
  );
};

const duplicateKeys: Rule = ({ counts }) => {
  const duplicates = counts.rejectedByReason.duplicate_primary_key ?? 0;
  if (duplicates === 0) return undefined;
  return warning(
    "duplicate_keys",
    `${duplicates} row${duplicates === 1 ? " repeats" : "s repeat"} a primary key already read in this run: the first row of each key was used.`,
    "Make source.primary_key unique: add the column that tells the rows apart, or keep one row a key in the query.",
  );
};

const eventsTooOld: Rule = ({ counts }, settings) => {
  const tooOld = counts.rejectedByReason.event_too_old ?? 0;
  if (tooOld === 0) return undefined;
  return warning(
    "events_too_old",
    `${tooOld} conversion${tooOld === 1 ? " was" : "s were"} older than ${settings.maxEventAgeDays ?? 28} days and not sent: TikTok never matches them to ads.`,
    "Schedule the activation more often, or check that the event_time column holds the conversion time.",
  );
};

const identifierCoverage: Rule = ({ counts }, settings) => {
  const ids = counts.identifiers;
  if (!ids || counts.sent === 0 || !settings.minIdentifierCoverage) return undefined;
  const carried = { email: ids.email ?? 0, phone: ids.phone ?? 0, external_id: ids.externalId ?? 0 };
  const low = Object.entries(settings.minIdentifierCoverage).flatMap(([id, min]) => {
    const share = (100 * carried[id as keyof typeof carried]) / counts.sent;
    return min !== undefined && share < min ? [`${id} ${share.toFixed(1)}% (at least ${min}%)`] : [];
  });
  if (low.length === 0) return undefined;
  return warning(
    "identifier_coverage",
    `Fewer of the ${counts.sent} sent events carried an identifier than the activation expects: ${low.join(", ")}. TikTok matches conversions to ads on them: fewer identifiers, fewer attributed conversions.`,
    "Check the source for newly empty or malformed emails and phones (see the rejected and dropped counts), or lower warnings.min_identifier_coverage_percent if this share is expected.",
  );
};

const deprecatedEvents: Rule = ({ counts }) => {
  const deprecated = Object.entries(counts.byEvent ?? {}).filter(([name]) => DEPRECATED_EVENT_NAMES[name as EventName] !== undefined);
  if (deprecated.length === 0) return undefined;
  return warning(
    "deprecated_event",
    `${deprecated.map(([name, n]) => `${n} event${n === 1 ? "" : "s"} named ${name}`).join(", ")} were sent under a name TikTok soft-deprecated (supported until 2027).`,
    deprecated.map(([name]) => DEPRECATED_EVENT_NAMES[name as EventName]).join("; ") + ".",
  );
};

const refusedByTikTok: Rule = ({ counts }) => {
  const refused = counts.rejectedByReason.tiktok_refused ?? 0;
  if (refused === 0) return undefined;
  return warning(
    "tiktok_refused",
    `TikTok refused ${refused} event${refused === 1 ? "" : "s"}; see the samples for its messages.`,
    "Correct the values TikTok names in its message; the rows are retried once they change.",
  );
};

/** In the order the issue and the job summary list them. */
const RULES: readonly Rule[] = [
  failure,
  rejectedShare,
  droppedShare,
  duplicateKeys,
  eventsTooOld,
  identifierCoverage,
  deprecatedEvents,
  refusedByTikTok,
];

/** What in a run needs a human, for the activation's warning settings. Pure. */
export function deriveWarnings(report: Report, settings: WarningSettings): Warning[] {
  if (!settings.enabled) return [];
  return RULES.flatMap((rule) => rule(report, settings) ?? []);
}
