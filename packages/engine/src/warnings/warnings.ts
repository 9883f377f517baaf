import type { RunReport, Warning } from "../run/report.js";

/** What in a run needs a human, for the activation's warning settings. Pure. */
export function deriveWarnings(
  report: Omit<RunReport, "warnings">,
  settings: { enabled: boolean; maxRejectedPercent: number; maxDroppedPercent?: number; maxEventAgeDays?: number },
): Warning[] {
  if (!settings.enabled) return [];
  const warnings: Warning[] = [];
  const { counts } = report;
  if (report.status === "failed" && report.error) {
    if (report.error.kind === "auth") {
      warnings.push({
        code: "auth_failed",
        severity: "error",
        message: `TikTok refused the access token (${report.error.code}): ${report.error.message}`,
        fix: "Generate a new long-lived access token in TikTok Business Center and update the secret named by destination.access_token_env.",
      });
    } else if (report.error.kind === "permission") {
      warnings.push({
        code: "permission_denied",
        severity: "error",
        message: `TikTok denied access to the advertiser or event set (${report.error.code}): ${report.error.message}`,
        fix: "Check that the token's app has access to destination.advertiser_id and that destination.event_set_id belongs to it.",
      });
    } else {
      warnings.push({
        code: "run_failed",
        severity: "error",
        message: `The run failed (${report.error.kind}${report.error.code !== null ? ` ${report.error.code}` : ""}): ${report.error.message}`,
        fix: "Nothing unacknowledged was recorded: the next run retries every unsent conversion. If it keeps failing, read the message above.",
      });
    }
  }
  if (counts.read - counts.deferred > 0) {
    const share = (100 * counts.rejected) / (counts.read - counts.deferred);
    if (share > settings.maxRejectedPercent) {
      const reasons = Object.entries(counts.rejectedByReason)
        .sort(([, a], [, b]) => (b ?? 0) - (a ?? 0))
        .map(([reason, n]) => `${reason}: ${n}`)
        .join(", ");
      warnings.push({
        code: "rejected_share",
        severity: "warning",
        message: `${counts.rejected} of ${counts.read - counts.deferred} rows (${share.toFixed(1)}%) were rejected, above the ${settings.maxRejectedPercent}% threshold (${reasons}).`,
        fix: "Fix the rows upstream (they are retried once their values change) or the mapping; raise warnings.max_rejected_percent if this share is expected.",
      });
    }
  }
  const withDropped = counts.eventsWithDropped ?? 0;
  const sentOrSending = counts.read - counts.deferred - counts.rejected;
  if (withDropped > 0 && sentOrSending > 0) {
    const share = (100 * withDropped) / sentOrSending;
    const limit = settings.maxDroppedPercent ?? 5;
    if (share > limit) {
      const fields = Object.entries(counts.droppedFields ?? {})
        .flatMap(([field, reasons]) => Object.entries(reasons).map(([reason, n]) => [`${field} ${reason}`, n ?? 0] as const))
        .sort(([, a], [, b]) => b - a)
        .map(([what, n]) => `${what}: ${n}`)
        .join(", ");
      warnings.push({
        code: "dropped_share",
        severity: "warning",
        message: `${withDropped} of ${sentOrSending} events (${share.toFixed(1)}%) were sent with an invalid field left out, above the ${limit}% threshold (${fields}).`,
        fix: "Fix the values upstream or the mapping (see the samples); set on_invalid_property: reject_row to reject such rows instead, or raise warnings.max_dropped_percent if this share is expected.",
      });
    }
  }
  const tooOld = counts.rejectedByReason.event_too_old ?? 0;
  if (tooOld > 0) {
    warnings.push({
      code: "events_too_old",
      severity: "warning",
      message: `${tooOld} conversion${tooOld === 1 ? " was" : "s were"} older than ${settings.maxEventAgeDays ?? 28} days and not sent: TikTok never matches them to ads.`,
      fix: "Schedule the activation more often, or check that the event_time column holds the conversion time.",
    });
  }
  const refused = counts.rejectedByReason.tiktok_refused ?? 0;
  if (refused > 0) {
    warnings.push({
      code: "tiktok_refused",
      severity: "warning",
      message: `TikTok refused ${refused} event${refused === 1 ? "" : "s"}; see the samples for its messages.`,
      fix: "Correct the values TikTok names in its message; the rows are retried once they change.",
    });
  }
  return warnings;
}
