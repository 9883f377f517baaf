import {
  Connections,
  coverageText,
  eventLabel,
  explainColumnError,
  namesText,
  preview,
  relationName,
  type PlanPreview,
  type SyncPlan,
} from "@ferry/engine";
import { formatOf, parse } from "../args.js";
import { loadPlans, number } from "../context.js";
import { color, EXIT, UsageError, type Io } from "../io.js";

export const planHelp = `Usage: ferry plan [paths…] [options]

Shows what each activation would do, without sending anything: the SQL that selects the new
rows (an anti-join against Ferry's sync state, run in the warehouse), the mapping of columns to
TikTok fields, how many rows are new right now, and sample events exactly as they would be
sent (identifiers already hashed).

It only reads: it creates and writes nothing, so a role that may only SELECT the source can
run it (grant it SELECT on the state schema too, or every row counts as new). When the
warehouse URL variable is not set, the plan is shown without counts or samples. An activation
whose SQL fails is listed with the warehouse's message; the others are still planned, and the
command exits 1.

Arguments:
  paths…               activation files or directories (default: activations)

Options:
  --only a,b           only these activations (by name)
  --samples N          sample events per activation (default 3; 0 for none)
  --format text|json   output format (default: text)
  -h, --help           show this help

Examples:
  ferry plan
  WAREHOUSE_URL=postgres://me@db/analytics ferry plan --only pos-purchases
  ferry plan --format json > plans.json
`;

function describeSource(plan: SyncPlan): string {
  const s = plan.source;
  if (s.kind === "table") return `table ${s.text}`;
  if (s.kind === "query") return "query";
  return `dbt model ${s.text} → ${relationName(s.relation)}`;
}

function renderPlan(plan: SyncPlan, p: PlanPreview | undefined, note: string | undefined, failed: string | undefined, io: Io): string {
  const c = color(io);
  const lines = [
    `${c.bold(plan.activation)} ${c.dim(`(${plan.file})`)}`,
    ...(plan.description ? [`  ${plan.description}`] : []),
    `  event        ${eventLabel(plan.event)} → ${plan.destination.eventSetId ? `event set ${plan.destination.eventSetId}` : "event set resolved from the advertiser"} (advertiser ${plan.destination.advertiserId})${plan.destination.testEventCode ? `, test code ${plan.destination.testEventCode}` : ""}`,
    `  warehouse    ${plan.warehouse.name} (${plan.warehouse.dialect ?? "dialect unknown"}, URL from $${plan.warehouse.urlEnv}); state in ${plan.warehouse.stateSchema}`,
    `  source       ${describeSource(plan)}, primary key ${plan.extraction.primaryKey.join(", ")}`,
    `  schedule     ${plan.schedule.expression}${plan.schedule.expression !== plan.schedule.cron ? ` (${plan.schedule.cron})` : ""} UTC`,
    `  batches      up to ${plan.destination.batchSize} events; events older than ${plan.destination.maxEventAgeDays} days are not sent`,
    "  mapping",
    ...plan.mapping.map((m) => {
      const from = "column" in m.from ? m.from.column : `constant ${JSON.stringify(m.from.const)}`;
      return `    ${m.field.padEnd(12)} ← ${from.padEnd(18)} ${c.dim(`${m.target}: ${m.sentAs}`)}`;
    }),
  ];
  if (failed) {
    lines.push(`  ${c.red("error")}        ${failed}`);
  } else if (p) {
    lines.push(
      `  new rows     ${c.bold(number(p.newRows))}${p.stateFound ? "" : c.yellow(" (no sync state readable yet: every row counts as new)")}`,
    );
    const rejected = Object.entries(p.rejectedInSample);
    const of = `of the first ${number(p.scanned)} new row${p.scanned === 1 ? "" : "s"}`;
    if (rejected.length) lines.push(`  rejected     ${rejected.map(([r, n]) => `${r} ${n}`).join(", ")} ${c.dim(of)}`);
    if (p.wouldSend.events > 0) {
      if (typeof plan.event === "object") lines.push(`  event names  ${namesText(p.wouldSend.byEvent)} ${c.dim(of)}`);
      const coverage = coverageText(p.wouldSend.identifiers, p.wouldSend.events);
      lines.push(`  identifiers  ${coverage} ${c.dim(`of the ${number(p.wouldSend.events)} events they would send`)}`);
    }
    if (p.samples.length) {
      lines.push("  sample events (as sent)");
      for (const event of p.samples) lines.push(`    ${JSON.stringify(event)}`);
    }
  } else if (note) {
    lines.push(`  new rows     ${c.yellow(note)}`);
  }
  if (plan.sql) {
    // The user's query first, as written; then what Ferry wraps around it to select the new rows.
    const query = plan.source.kind === "query" ? plan.source.text.trim().replace(/;\s*$/, "") : undefined;
    if (query && plan.sql.text.includes(query)) {
      lines.push(
        "  source query",
        ...query.split("\n").map((l) => `    ${l}`),
        "  new rows: Ferry's SQL around it",
        ...plan.sql.text
          .replace(query, "<the source query above>")
          .split("\n")
          .map((l) => `    ${c.dim(l)}`),
      );
    } else {
      lines.push("  SQL", ...plan.sql.text.split("\n").map((l) => `    ${c.dim(l)}`));
    }
  }
  return `${lines.join("\n")}\n`;
}

export async function plan(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { only: { type: "string" }, samples: { type: "string" }, format: { type: "string" } });
  if (values.help) {
    io.stdout.write(planHelp);
    return EXIT.ok;
  }
  const format = formatOf(values.format);
  const samples = values.samples === undefined ? 3 : Number(values.samples);
  if (!Number.isInteger(samples) || samples < 0) throw new UsageError("--samples takes a whole number");
  const plans = await loadPlans(
    positionals,
    io,
    values.only?.split(",").map((s) => s.trim()),
  );
  const connections = new Connections(io.env);
  const out: { plan: SyncPlan; preview?: PlanPreview; note?: string; error?: string }[] = [];
  try {
    for (const p of plans) {
      if (!io.env[p.warehouse.urlEnv]) {
        out.push({ plan: p, note: `not counted: $${p.warehouse.urlEnv} is not set` });
        continue;
      }
      // One activation's broken SQL must not hide the plans of the others.
      try {
        out.push({ plan: p, preview: await preview(p, { warehouse: connections.warehouse(p) }, { samples }) });
      } catch (error) {
        const message = (error as Error).message;
        const explained = explainColumnError(message, p);
        const at = p.positions?.["source"];
        out.push({
          plan: p,
          error:
            explained ??
            `${message} (${p.file}${at ? `:${at.line}:${at.column}` : ""}; warehouse "${p.warehouse.name}", URL from $${p.warehouse.urlEnv})`,
        });
      }
    }
  } finally {
    await connections.close();
  }
  if (format === "json") {
    io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    io.stdout.write(out.map((o) => renderPlan(o.plan, o.preview, o.note, o.error, io)).join("\n"));
  }
  const failed = out.filter((o) => o.error);
  if (failed.length) {
    io.stderr.write(
      `${color(io, io.stderr.isTTY === true && !io.env["NO_COLOR"]).red("error")} ${failed.length} of ${out.length} activation${out.length === 1 ? "" : "s"} could not be planned: ${failed.map((o) => `${o.plan.activation} (${o.plan.file})`).join(", ")}\n`,
    );
    return EXIT.failed;
  }
  return EXIT.ok;
}
