import { coverageText, describeFailure, droppedList, namesText, runFailed, runPlans, type RunEvent, type RunReport } from "@ferry/engine";
import { annotation } from "../annotations.js";
import { formatOf, parse } from "../args.js";
import { CommandError, duration, loadPlans, number } from "../context.js";
import { color, EXIT, UsageError, type Io } from "../io.js";

export const runHelp = `Usage: ferry run [paths…] [options]

Sends the new conversions of each activation to TikTok: streams the rows not yet acknowledged
from the warehouse, maps and hashes them, pushes them in batches, and records in the
warehouse's sync state only what TikTok acknowledged. Rows that cannot be sent are rejected
with a reason, counted, and retried once their values change upstream.

Arguments:
  paths…                activation files or directories (default: activations)

Options:
  --only a,b            only these activations (by name)
  --dry-run             do everything but send and record: counts, rejections, samples
  --full-refresh        resend every row, not only the new ones (asks for --yes)
  --yes                 confirm --full-refresh
  --concurrency N       requests to TikTok in flight at most per activation, 1-32,
                        over the activations' requests_in_flight (default 8); Ferry
                        sends fewer while TikTok throttles and grows back when clean
  --format text|json    output format (default: text); json prints the run reports
  --fail-on-warnings    exit 2 when a run succeeded with warnings
  -h, --help            show this help

Environment: each activation's access_token_env and its warehouse's url_env (or
FERRY_WAREHOUSE_URL) must be set; TIKTOK_API_BASE_URL points at another API (e.g. \`ferry sandbox\`).

Exit codes: 0 success, 1 a run failed (or bad config), 2 warnings with --fail-on-warnings, 64 usage.

Examples:
  ferry run
  ferry run --dry-run --only pos-purchases
  ferry run activations/crm-leads.yml --format json > report.json
`;

const FULL_REFRESH_WARNING =
  "--full-refresh resends every row. TikTok deduplicates an event_id only within 48 hours of its first receipt: conversions first sent earlier will be counted twice.";

export function progress(io: Io) {
  const c = color(io, io.stderr.isTTY === true && !io.env["NO_COLOR"]);
  const live = io.stderr.isTTY === true;
  let lastDraw = 0;
  let nextMilestone = 100_000;
  return (event: RunEvent) => {
    if (event.type === "start") {
      nextMilestone = 100_000;
      if (!live) io.stderr.write(`${event.activation}: ${event.dryRun ? "dry run" : "run"} ${event.runId} started\n`);
    } else if (event.type === "progress") {
      const rate = event.elapsedMs > 0 ? Math.round((event.read * 1000) / event.elapsedMs) : 0;
      const text = `${event.activation}: ${number(event.read)} read · ${number(event.sent)} sent · ${number(event.rejected)} rejected · ${number(rate)} rows/s`;
      if (live) {
        const now = Date.now();
        if (now - lastDraw >= 100) {
          lastDraw = now;
          io.stderr.write(`\r\x1b[2K${c.dim(text)}`);
        }
      } else if (event.read >= nextMilestone) {
        nextMilestone = (Math.floor(event.read / 100_000) + 1) * 100_000;
        io.stderr.write(`${text}\n`);
      }
    } else if (event.type === "finish" && live) {
      io.stderr.write("\r\x1b[2K");
    }
  };
}

export function summary(report: RunReport, io: Io): string {
  const c = color(io);
  const k = report.counts;
  const reasons = Object.entries(k.rejectedByReason)
    .sort(([, a], [, b]) => (b ?? 0) - (a ?? 0))
    .map(([r, n]) => `${r} ${number(n ?? 0)}`)
    .join(", ");
  const mark =
    report.status === "success"
      ? report.warnings.length
        ? c.yellow("⚠")
        : c.green("✔")
      : report.status === "stopped"
        ? c.yellow("⏸")
        : c.red("✖");
  const verb = report.dryRun ? "would send" : "sent";
  const lines = [
    `${mark} ${c.bold(report.activation)}: ${report.status === "success" ? "" : report.status === "stopped" ? `${c.yellow("stopped by TikTok's limits")}, ` : `${c.red(report.status)}, `}${number(k.sent)} ${verb}, ${number(k.rejected)} rejected${reasons ? ` (${reasons})` : ""} of ${number(k.read)} new row${k.read === 1 ? "" : "s"} in ${duration(report.durationMs)}${k.read ? ` (${number(report.rowsPerSecond)} rows/s)` : ""}${k.deferred ? `; ${number(k.deferred)} dated in the future, deferred` : ""}${k.notSent ? `; ${number(k.notSent)} not sent, retried next run` : ""}`,
  ];
  if (k.rechecked) {
    lines.push(
      `  ${c.dim(`${number(k.rechecked)} row${k.rechecked === 1 ? "" : "s"} rejected before ${k.rechecked === 1 ? "was" : "were"} checked again (changed values or mapping): ${number(k.rejectedAgain ?? 0)} still rejected`)}`,
    );
  }
  if (k.eventsWithDropped) {
    const fields = droppedList(k)
      .map((d) => `${d.field} ${d.reason} ${number(d.count)}`)
      .join(", ");
    lines.push(`  ${c.dim(`${number(k.eventsWithDropped)} sent without an invalid field (${fields})`)}`);
  }
  if (k.identifiers && k.sent > 0) {
    const names = k.byEvent ? `; ${namesText(k.byEvent)}` : "";
    lines.push(`  ${c.dim(`identifiers of the ${number(k.sent)} ${verb}: ${coverageText(k.identifiers, k.sent)}${names}`)}`);
  }
  if (k.unknownContentKeys) {
    const keys = Object.entries(k.unknownContentKeys)
      .map(([key, n]) => `${key} (${number(n)})`)
      .join(", ");
    lines.push(`  ${c.dim(`contents keys TikTok does not read, left out: ${keys}`)}`);
  }
  const r = report.retries;
  if (r.throttled + r.serverErrors + r.network > 0) {
    lines.push(
      `  ${c.dim(`retried: ${r.throttled} throttled, ${r.serverErrors} TikTok-side errors, ${r.network} network failures (${number(report.requests)} requests in all), ${duration(r.waitedMs)} waiting to retry`)}`,
    );
  }
  if (report.inFlight && report.inFlight.peak > 1)
    lines.push(
      `  ${c.dim(`requests in flight: ${report.inFlight.mean} on average, ${report.inFlight.peak} at most of ${report.inFlight.max} allowed`)}`,
    );
  // Said once: by its warning, or here when the activation's warnings are off.
  if (report.error && !report.warnings.some((w) => w.severity === "error")) {
    const { title, fix } = describeFailure(report.error.kind, undefined);
    lines.push(`  ${c.red("error")} ${title}: ${report.error.message}`, `    ${c.dim(`→ ${fix}`)}`);
  }
  for (const w of report.warnings)
    lines.push(`  ${w.severity === "error" ? c.red("error") : c.yellow("warning")} ${w.message}`, `    ${c.dim(`→ ${w.fix}`)}`);
  const shown = report.samples.slice(0, 6);
  if (shown.length) {
    lines.push(`  ${c.dim("samples:")}`);
    for (const s of shown) {
      const key = s.primaryKey
        ? Object.entries(s.primaryKey)
            .map(([col, v]) => `${col}=${v}`)
            .join(" ")
        : (s.eventId ?? "");
      const what = s.dropped ? `${s.field} left out: ${s.reason}` : s.reason;
      lines.push(`    ${c.dim(`${what.padEnd(18)} ${key}${s.message ? ` — ${s.message}` : ""}`)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

export async function runCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    only: { type: "string" },
    "dry-run": { type: "boolean" },
    "full-refresh": { type: "boolean" },
    yes: { type: "boolean" },
    concurrency: { type: "string" },
    format: { type: "string" },
    "fail-on-warnings": { type: "boolean" },
  });
  if (values.help) {
    io.stdout.write(runHelp);
    return EXIT.ok;
  }
  const format = formatOf(values.format);
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32))
    throw new UsageError("--concurrency takes a whole number from 1 to 32");
  const fullRefresh = values["full-refresh"] === true;
  if (fullRefresh && !values.yes && !values["dry-run"]) throw new CommandError(`${FULL_REFRESH_WARNING} Run again with --yes to confirm.`);
  const dryRun = values["dry-run"] === true;
  const plans = await loadPlans(
    positionals,
    io,
    values.only?.split(",").map((s) => s.trim()),
  );
  const reports = await runPlans(plans, {
    env: io.env,
    dryRun,
    fullRefresh,
    ...(concurrency !== undefined ? { concurrency } : {}),
    onEvent: progress(io),
    ...(io.signal ? { signal: io.signal } : {}),
  });
  if (format === "json") io.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
  else for (const report of reports) io.stdout.write(summary(report, io));
  if (io.env["GITHUB_ACTIONS"] === "true") {
    for (const report of reports) {
      const file = plans.find((p) => p.activation === report.activation)?.file;
      for (const w of report.warnings)
        io.stdout.write(
          annotation(w.severity === "error" ? "error" : "warning", `${report.activation}: ${w.message} ${w.fix}`, {
            file,
            title: `ferry: ${w.code}`,
          }),
        );
    }
  }
  if (io.signal?.aborted) {
    const notRun = plans.filter((p) => !reports.some((r) => r.activation === p.activation)).map((p) => p.activation);
    io.stderr.write(`stopped${notRun.length ? `: ${notRun.join(", ")} did not run` : ""}\n`);
    return EXIT.interrupted;
  }
  // A run TikTok's limits stopped is not failed: the next run sends the rest, and a warning says so.
  if (reports.some(runFailed)) return EXIT.failed;
  return values["fail-on-warnings"] && reports.some((r) => r.warnings.length > 0) ? EXIT.warnings : EXIT.ok;
}
