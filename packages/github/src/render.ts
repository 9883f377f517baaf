import {
  coverageText,
  droppedList,
  eventLabel,
  namesText,
  REJECT_REASONS,
  relationName,
  type PlanDiff,
  type RejectReason,
  type RunReport,
  type SyncPlan,
  type Warning,
} from "@ferry/engine";

// Everything rendered here comes from run reports and plans, which hold counts, codes, hashes
// and primary keys that are not personal data; no row value or secret can reach an issue.

export const activationMarker = (activation: string) => `<!-- ferry:activation=${activation} -->`;
export const PLAN_MARKER = "<!-- ferry:plan -->";

const n = (x: number) => x.toLocaleString("en-US");
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
const duration = (ms: number) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);
const when = (iso: string) => `${iso.slice(0, 16).replace("T", " ")} UTC`;

export interface RunContext {
  /** Link to the workflow run. */
  runUrl?: string;
  /** The activation file. */
  file?: string;
  /** The activation's last runs from the run ledger, oldest first (this one included). */
  history?: LedgerRun[];
}

/** One run of the ledger, as the history chart shows it: counts only. */
export interface LedgerRun {
  startedAt: string;
  status: string;
  sent: number;
  rejected: number;
  /** The match coverage of its sent events, as `coverageText` words it. */
  coverage: string;
}

/** The ledger's runs as LedgerRun, oldest first; runs without a report (still running, dry runs' absence) are skipped. */
export function ledgerRuns(runs: readonly { startedAt: number; status: string; report: unknown }[]): LedgerRun[] {
  return runs
    .filter((r) => r.report !== null && typeof r.report === "object")
    .map((r) => {
      const report = r.report as Partial<RunReport>;
      const k = report.counts;
      return {
        startedAt: new Date(r.startedAt).toISOString(),
        status: r.status,
        sent: k?.sent ?? 0,
        rejected: k?.rejected ?? 0,
        coverage: k?.identifiers && k.sent ? coverageText(k.identifiers, k.sent) : "",
      };
    })
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

/**
 * The last runs as a chart GitHub draws itself (Mermaid's xychart: sent as bars, rejected as a
 * line) and the table beside it.
 */
export function renderHistory(activation: string, runs: readonly LedgerRun[]): string {
  if (runs.length === 0) return "";
  const labels = runs.map((r) => `"${r.startedAt.slice(5, 16).replace("T", " ")}"`);
  const top = Math.max(1, ...runs.map((r) => Math.max(r.sent, r.rejected)));
  return [
    `**${activation}: the last ${runs.length === 1 ? "run" : `${runs.length} runs`}**`,
    "",
    "```mermaid",
    "xychart-beta",
    `  title "${activation}: sent (bars) and rejected (line)"`,
    `  x-axis [${labels.join(", ")}]`,
    `  y-axis "events" 0 --> ${top}`,
    `  bar [${runs.map((r) => r.sent).join(", ")}]`,
    `  line [${runs.map((r) => r.rejected).join(", ")}]`,
    "```",
    "",
    "| run (UTC) | status | sent | rejected | identifiers of the sent |",
    "|---|---|---:|---:|---|",
    ...runs.map((r) => `| ${when(r.startedAt)} | ${r.status} | ${n(r.sent)} | ${n(r.rejected)} | ${cell(r.coverage)} |`),
  ].join("\n");
}

function warningList(warnings: readonly Warning[]): string {
  return warnings.map((w) => `- ${w.severity === "error" ? "🛑" : "⚠️"} **${w.code}**: ${w.message}\n  - **Fix:** ${w.fix}`).join("\n");
}

function details(report: RunReport): string {
  const k = report.counts;
  const parts = [
    "| | rows |",
    "|---|---:|",
    `| read (new) | ${n(k.read)} |`,
    `| ${report.dryRun ? "would be sent" : "sent"} | ${n(k.sent)} |`,
    `| rejected | ${n(k.rejected)} |`,
    ...(k.deferred ? [`| deferred (dated in the future) | ${n(k.deferred)} |`] : []),
    ...(k.notSent ? [`| not sent (retried next run) | ${n(k.notSent)} |`] : []),
    ...(k.eventsWithDropped ? [`| sent without an invalid field | ${n(k.eventsWithDropped)} |`] : []),
  ];
  if (k.identifiers && k.sent > 0) parts.push("", `**Identifiers of the sent events:** ${cell(coverageText(k.identifiers, k.sent))}`);
  if (k.byEvent) parts.push("", `**Sent by event name:** ${cell(namesText(k.byEvent))}`);
  const reasons = Object.entries(k.rejectedByReason) as [RejectReason, number][];
  if (reasons.length) {
    parts.push("", "**Rejections by reason**", "", "| reason | rows | meaning |", "|---|---:|---|");
    for (const [reason, count] of reasons.sort(([, a], [, b]) => b - a))
      parts.push(`| \`${reason}\` | ${n(count)} | ${cell(REJECT_REASONS[reason]?.text ?? "")} |`);
  }
  const dropped = droppedList(k);
  if (dropped.length) {
    parts.push("", "**Fields left out of sent events**", "", "| field | reason | events |", "|---|---|---:|");
    for (const d of dropped) parts.push(`| ${d.field} | \`${d.reason}\` | ${n(d.count)} |`);
  }
  if (report.samples.length) {
    parts.push("", "**Sample rows**", "", "| reason | row | TikTok's message |", "|---|---|---|");
    for (const s of report.samples.slice(0, 10)) {
      const key = s.primaryKey
        ? Object.entries(s.primaryKey)
            .map(([c, v]) => `${c}=${v}`)
            .join(", ")
        : (s.eventId ?? "");
      parts.push(`| ${s.dropped ? `${s.field} left out: ` : ""}\`${s.reason}\` | ${cell(key)} | ${cell(s.message ?? "")} |`);
    }
  }
  return parts.join("\n");
}

export function renderIssueTitle(activation: string): string {
  return `Ferry: ${activation} needs attention`;
}

export function renderIssueBody(report: RunReport, ctx: RunContext = {}): string {
  const run = ctx.runUrl ? `[run](${ctx.runUrl})` : "run";
  return [
    activationMarker(report.activation),
    `The ${run} of **${report.activation}**${ctx.file ? ` (\`${ctx.file}\`)` : ""} on ${when(report.startedAt)} ended with status **${report.status}** and needs a human:`,
    "",
    warningList(report.warnings),
    "",
    details(report),
    ...(ctx.history?.length ? ["", renderHistory(report.activation, ctx.history)] : []),
    "",
    "_Ferry keeps this issue up to date: later warnings are added as comments, and the first healthy run closes it. Turn warnings off with `warnings.enabled: false` in the activation._",
  ].join("\n");
}

export function renderIssueComment(report: RunReport, ctx: RunContext = {}): string {
  return [
    `Still needs attention after the ${ctx.runUrl ? `[run](${ctx.runUrl})` : "run"} on ${when(report.startedAt)} (status **${report.status}**):`,
    "",
    warningList(report.warnings),
    "",
    details(report),
    ...(ctx.history?.length ? ["", renderHistory(report.activation, ctx.history)] : []),
  ].join("\n");
}

export function renderHealthyComment(report: RunReport, ctx: RunContext = {}): string {
  return `✅ The ${ctx.runUrl ? `[run](${ctx.runUrl})` : "run"} on ${when(report.startedAt)} was healthy: ${n(report.counts.sent)} sent, ${n(report.counts.rejected)} rejected of ${n(report.counts.read)} new rows. Closing.`;
}

/** The job summary: one row per activation. */
export function renderJobSummary(
  reports: readonly RunReport[],
  issues: Readonly<Record<string, { url: string; number: number; action: string }>> = {},
  histories: Readonly<Record<string, readonly LedgerRun[]>> = {},
): string {
  const status = (r: RunReport) =>
    r.status === "stopped"
      ? "⏸️ stopped by TikTok's limits"
      : r.status !== "success"
        ? `🛑 ${r.status}`
        : r.warnings.length
          ? "⚠️ warnings"
          : "✅ ok";
  const rows = reports.map((r) => {
    const reasons = Object.entries(r.counts.rejectedByReason)
      .sort(([, a], [, b]) => (b ?? 0) - (a ?? 0))
      .map(([reason, count]) => `${reason} ${n(count ?? 0)}`)
      .join(", ");
    const issue = issues[r.activation];
    const coverage = r.counts.identifiers ? coverageText(r.counts.identifiers, r.counts.sent) : "";
    return `| ${r.activation} | ${status(r)}${r.dryRun ? " (dry run)" : ""} | ${n(r.counts.read)} | ${n(r.counts.sent)} | ${n(r.counts.rejected)}${reasons ? ` (${cell(reasons)})` : ""} | ${cell(coverage)} | ${duration(r.durationMs)} | ${issue ? `[#${issue.number}](${issue.url}) ${issue.action}` : ""} |`;
  });
  return [
    "## Ferry",
    "",
    "| Activation | Status | New rows | Sent | Rejected | Identifiers of the sent | Duration | Issue |",
    "|---|---|---:|---:|---|---|---:|---|",
    ...rows,
    ...reports.flatMap((r) => (r.error ? [``, `**${r.activation}**: ${cell(r.error.message)}`] : [])),
    ...reports.flatMap((r) => (histories[r.activation]?.length ? ["", renderHistory(r.activation, histories[r.activation]!)] : [])),
    "",
  ].join("\n");
}

function planFacts(plan: SyncPlan): string {
  const mapping = plan.mapping.map(
    (m) =>
      `| ${m.field} | ${"column" in m.from ? `\`${m.from.column}\`` : `const ${cell(JSON.stringify(m.from.const))}`} | ${m.pii ? "SHA-256" : ""} |`,
  );
  return [
    `- **${eventLabel(plan.event)}** → advertiser \`${plan.destination.advertiserId}\`, event set ${plan.destination.eventSetId ? `\`${plan.destination.eventSetId}\`` : "resolved from the advertiser"}; schedule \`${plan.schedule.expression}\``,
    "",
    "| field | from | sent as |",
    "|---|---|---|",
    ...mapping,
  ].join("\n");
}

const sqlBlock = (plan: SyncPlan) =>
  plan.sql
    ? `<details><summary>Compiled SQL (${plan.warehouse.dialect})</summary>\n\n\`\`\`sql\n${plan.sql.text}\n\`\`\`\n</details>`
    : plan.source.kind === "dbt_model"
      ? `Source: dbt model \`${plan.source.text}\` (\`${relationName(plan.source.relation)}\`)`
      : `<details><summary>Source ${plan.source.kind}</summary>\n\n\`\`\`sql\n${plan.source.text.trim()}\n\`\`\`\n</details>`;

/** The pull-request comment: what the change does to each activation. */
export function renderPlanComment(
  diff: PlanDiff,
  issues: { file: string; line: number; message: string }[] = [],
  notes: string[] = [],
): string {
  const parts = [PLAN_MARKER, "## Ferry plan", ""];
  if (issues.length) {
    parts.push(`🛑 **${issues.length} configuration error${issues.length === 1 ? "" : "s"}** (nothing would run):`, "");
    for (const i of issues) parts.push(`- \`${i.file}${i.line ? `:${i.line}` : ""}\` ${cell(i.message)}`);
    parts.push("");
  }
  for (const note of notes) parts.push(`ℹ️ ${cell(note)}`, "");
  if (!diff.added.length && !diff.removed.length && !diff.changed.length) parts.push("No activation changes behaviour.", "");
  for (const plan of diff.added) parts.push(`### ➕ ${plan.activation} (new)`, "", planFacts(plan), "", sqlBlock(plan), "");
  for (const plan of diff.removed)
    parts.push(`### ➖ ${plan.activation} (removed)`, "", "Its sync state stays in the warehouse; nothing more is sent for it.", "");
  for (const { after, changes } of diff.changed) {
    parts.push(`### ✏️ ${after.activation} (changed)`, "", "| field | before | after |", "|---|---|---|");
    for (const c of changes)
      parts.push(
        `| ${c.field} | ${c.before === null ? "—" : `\`${cell(c.before)}\``} | ${c.after === null ? "—" : `\`${cell(c.after)}\``} |`,
      );
    if (changes.some((c) => c.field.startsWith("mapping.") || c.field === "destination.max_event_age_days")) {
      parts.push("", "_The mapping changed: rows rejected before will be tried again on the next run._");
    }
    parts.push("", sqlBlock(after), "");
  }
  if (diff.unchanged.length) parts.push(`Unchanged: ${diff.unchanged.join(", ")}.`, "");
  return parts.join("\n");
}
