import { Connections, listRejections, REJECT_REASONS, type RejectedRowListing } from "@ferry/engine";
import { formatOf, parse } from "../args.js";
import { CommandError, didYouMean, loadPlans, number } from "../context.js";
import { color, EXIT, UsageError, type Io } from "../io.js";

export const stateHelp = `Usage: ferry state <show|rejected|reset> <activation> [paths…] [options]

Reads or clears an activation's sync state, kept in its warehouse (the state_schema of
ferry.yml): the conversions TikTok acknowledged (as key hashes), the rows rejected and why,
and the last runs. show and rejected only read.

  show      counts of acknowledged and rejected rows, and recent runs
  rejected  the rows remembered as rejected: their primary key (read back from the source;
            the event_id instead when a key column is personal data), the reason, TikTok's
            message where it gave one, and when each was first and last rejected
  reset     forget everything: the next run sends every row again (asks for --yes).
            TikTok deduplicates an event_id only within 48 hours: older conversions would be
            counted twice.

Arguments:
  activation           the activation's name
  paths…               where to find it (default: activations)

Options:
  --format F           show: text|json; rejected: table|json|csv (default: text / table)
  --reason R           rejected: only this reason (e.g. invalid_email)
  --yes                confirm reset
  -h, --help           show this help

Examples:
  ferry state show pos-purchases
  ferry state rejected pos-purchases --reason invalid_phone
  ferry state rejected pos-purchases --format csv > rejected.csv
  ferry state reset pos-purchases --yes
`;

const csvCell = (value: string) => (/[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
const when = (ms: number | null) => (ms === null ? "" : new Date(ms).toISOString());

function renderRejections(rows: RejectedRowListing[], format: string, primaryKey: readonly string[], io: Io): string {
  if (format === "json") return `${JSON.stringify(rows, null, 2)}\n`;
  const keyText = (r: RejectedRowListing) =>
    r.key ? primaryKey.map((c) => `${c}=${r.key![c]}`).join(" ") : r.eventId === null ? "(empty key)" : `event_id ${r.eventId}`;
  if (format === "csv") {
    const header = [...primaryKey, "event_id", "reason", "message", "first_seen", "last_seen", "in_source"];
    const lines = rows.map((r) =>
      [
        ...primaryKey.map((c) => r.key?.[c] ?? ""),
        r.eventId ?? "",
        r.reason,
        r.message ?? "",
        when(r.firstSeenAt),
        when(r.lastSeenAt),
        r.inSource === null ? "" : String(r.inSource),
      ]
        .map(csvCell)
        .join(","),
    );
    return `${[header.join(","), ...lines].join("\n")}\n`;
  }
  const c = color(io);
  if (rows.length === 0) return "no rejected rows remembered\n";
  const table = rows.map((r) => [
    keyText(r) + (r.inSource === false ? c.dim(" (no longer in the source)") : ""),
    r.reason,
    when(r.firstSeenAt).slice(0, 19),
    when(r.lastSeenAt).slice(0, 19),
    r.message ?? "",
  ]);
  const widths = [0, 1, 2, 3].map((i) =>
    Math.max(...table.map((row) => row[i]!.length), ["key", "reason", "first seen", "last seen"][i]!.length),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i < 4 ? cell.padEnd(widths[i]!) : cell))
      .join("  ")
      .trimEnd();
  return `${[c.bold(line(["key", "reason", "first seen", "last seen", "TikTok's message"])), ...table.map(line)].join("\n")}\n${c.dim(`${number(rows.length)} row${rows.length === 1 ? "" : "s"}`)}\n`;
}

export async function state(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { format: { type: "string" }, yes: { type: "boolean" }, reason: { type: "string" } });
  if (values.help) {
    io.stdout.write(stateHelp);
    return EXIT.ok;
  }
  const [action, name, ...paths] = positionals;
  if (action !== "show" && action !== "reset" && action !== "rejected")
    throw new UsageError('the first argument is "show", "rejected" or "reset"');
  const format =
    action === "rejected"
      ? formatOf(values.format ?? "table", ["table", "json", "csv"])
      : formatOf(values.format === "table" ? "text" : values.format);
  if (values.reason !== undefined) {
    if (action !== "rejected") throw new UsageError("--reason goes with `ferry state rejected`");
    if (!(values.reason in REJECT_REASONS))
      throw new UsageError(`--reason: no reason "${values.reason}"${didYouMean(values.reason, Object.keys(REJECT_REASONS))}`);
  }
  if (!name) throw new UsageError("name the activation, e.g. `ferry state show pos-purchases`");
  if (action === "reset" && !values.yes) {
    throw new CommandError(
      `reset forgets what "${name}" sent: its next run resends every row, and TikTok counts twice those first sent over 48 hours ago. Run again with --yes to confirm.`,
    );
  }
  const [plan] = await loadPlans(paths, io, [name]);
  const connections = new Connections(io.env);
  try {
    const warehouse = connections.warehouse(plan!);
    const schema = plan!.warehouse.stateSchema;
    if (action === "rejected") {
      const rows = await listRejections(plan!, { warehouse }, values.reason ? { reason: values.reason } : {});
      io.stdout.write(renderRejections(rows, format, plan!.extraction.primaryKey, io));
      return EXIT.ok;
    }
    // Reading creates nothing: a warehouse where no run has been yet has nothing to show.
    if (!(await warehouse.state.exists(schema))) {
      io.stdout.write(`${name}: no sync state yet in ${schema} (no run has recorded any)\n`);
      return EXIT.ok;
    }
    if (action === "reset") {
      const deleted = await warehouse.state.reset(schema, name);
      io.stdout.write(
        `reset ${name}: forgot ${number(deleted.acked)} acknowledged, ${number(deleted.rejected)} rejected rows and ${number(deleted.runs)} runs\n`,
      );
      return EXIT.ok;
    }
    const summary = await warehouse.state.show(schema, name);
    if (format === "json") {
      io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      return EXIT.ok;
    }
    const c = color(io);
    const rejected = Object.entries(summary.rejected);
    io.stdout.write(
      [
        `${c.bold(name)} (state in ${schema})`,
        `  acknowledged  ${number(summary.acked)}${summary.lastAckedAt ? `, last at ${new Date(summary.lastAckedAt).toISOString()}` : ""}`,
        `  rejected      ${rejected.length ? rejected.map(([r, n]) => `${r} ${number(n)}`).join(", ") : "none"}`,
        "  runs",
        ...(summary.runs.length
          ? summary.runs.map((r) => {
              const counts = (r.report as { counts?: { sent?: number; rejected?: number } } | null)?.counts;
              return `    ${new Date(r.startedAt).toISOString()}  ${r.status.padEnd(9)} ${counts ? `${number(counts.sent ?? 0)} sent, ${number(counts.rejected ?? 0)} rejected` : ""}  ${c.dim(r.runId)}`;
            })
          : ["    none yet"]),
      ].join("\n") + "\n",
    );
    return EXIT.ok;
  } finally {
    await connections.close();
  }
}
