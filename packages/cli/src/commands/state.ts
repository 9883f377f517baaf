import { Connections } from "@ferry/engine";
import { parse } from "../args.js";
import { CommandError, loadPlans, number } from "../context.js";
import { color, EXIT, UsageError, type Io } from "../io.js";

export const stateHelp = `Usage: ferry state <show|reset> <activation> [paths…] [options]

Reads or clears an activation's sync state, kept in its warehouse (the state_schema of
ferry.yml): the conversions TikTok acknowledged (as key hashes), the rows rejected and why,
and the last runs.

  show    counts of acknowledged and rejected rows, and recent runs
  reset   forget everything: the next run sends every row again (asks for --yes).
          TikTok deduplicates an event_id only within 48 hours: older conversions would be
          counted twice.

Arguments:
  activation           the activation's name
  paths…               where to find it (default: activations)

Options:
  --format text|json   output format for show (default: text)
  --yes                confirm reset
  -h, --help           show this help

Examples:
  ferry state show pos-purchases
  ferry state reset pos-purchases --yes
`;

export async function state(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { format: { type: "string" }, yes: { type: "boolean" } });
  if (values.help) {
    io.stdout.write(stateHelp);
    return EXIT.ok;
  }
  const [action, name, ...paths] = positionals;
  if (action !== "show" && action !== "reset") throw new UsageError('the first argument is "show" or "reset"');
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
    await warehouse.state.ensure(schema);
    if (action === "reset") {
      const deleted = await warehouse.state.reset(schema, name);
      io.stdout.write(
        `reset ${name}: forgot ${number(deleted.acked)} acknowledged, ${number(deleted.rejected)} rejected rows and ${number(deleted.runs)} runs\n`,
      );
      return EXIT.ok;
    }
    const summary = await warehouse.state.show(schema, name);
    if (values.format === "json") {
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
