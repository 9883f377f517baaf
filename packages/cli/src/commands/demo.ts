import { mkdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Connections, runFailed, runPlans } from "@ferry/engine";
import { startSandbox } from "@ferry/tiktok-sandbox";
import { parse } from "../args.js";
import { CommandError, loadPlans, number } from "../context.js";
import { seedDemo } from "../demo/seed.js";
import { color, EXIT, UsageError, type Io } from "../io.js";
import { progress, summary } from "./run.js";

export const demoHelp = `Usage: ferry demo [options]

Runs the activations in ./activations end to end on this machine, with nothing to set up: it
seeds an embedded warehouse (SQLite, .ferry/demo/warehouse.db, or DuckDB) with a few thousand
realistic conversions (bad rows of every kind included), starts the local TikTok sandbox, runs
every activation, then runs them again to show that only new conversions are sent.

Options:
  --warehouse sqlite|duckdb   the embedded warehouse (default: sqlite)
  --keep                      keep the demo warehouse from a previous demo instead of reseeding it
  -h, --help                  show this help

Examples:
  npm run demo
  npm run demo -- --warehouse duckdb
  ferry demo && ferry state show pos-purchases   (with WAREHOUSE_URL=sqlite:.ferry/demo/warehouse.db)
`;

const EMBEDDED = {
  sqlite: { name: "SQLite", file: "warehouse.db", scheme: "sqlite:" },
  duckdb: { name: "DuckDB", file: "warehouse.duckdb", scheme: "duckdb:" },
} as const;

export async function demo(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { keep: { type: "boolean" }, warehouse: { type: "string" } });
  if (values.help) {
    io.stdout.write(demoHelp);
    return EXIT.ok;
  }
  const kind = values.warehouse ?? "sqlite";
  if (!(kind in EMBEDDED)) throw new UsageError(`--warehouse: "${kind}" is not an embedded warehouse: use sqlite or duckdb`);
  const embedded = EMBEDDED[kind as keyof typeof EMBEDDED];
  const c = color(io);
  if (!(await stat(path.join(io.cwd, "activations")).catch(() => undefined))) {
    throw new CommandError("no activations/ directory here: run the demo from the repository root");
  }
  const dir = path.join(io.cwd, ".ferry", "demo");
  const file = path.join(dir, embedded.file);
  const url = `${embedded.scheme}${file}`;
  const now = Date.now();
  if (!values.keep) await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const sandbox = await startSandbox({ tokens: ["demo-token"] });
  const env = { ...io.env, WAREHOUSE_URL: url, TIKTOK_ACCESS_TOKEN: sandbox.token, TIKTOK_API_BASE_URL: sandbox.url };
  const demoIo: Io = { ...io, env };
  try {
    const plans = await loadPlans(["activations"], demoIo);
    const seeder = new Connections(env);
    try {
      if (!values.keep) await seedDemo(seeder.warehouse(plans[0]!), now, { pos_orders: 3000, crm_leads: 1500, subscriptions: 800 });
    } finally {
      await seeder.close();
    }
    io.stdout.write(
      `${c.bold("Ferry demo")}: ${embedded.name} warehouse ${path.relative(io.cwd, file)}, TikTok sandbox ${sandbox.url}\n\n`,
    );

    io.stdout.write(`${c.bold("1. First run")}: every conversion is new\n`);
    const first = await runPlans(plans, { env, onEvent: progress(demoIo) });
    for (const report of first) io.stdout.write(summary(report, demoIo));

    io.stdout.write(`\n${c.bold("2. Second run")}: nothing new, nothing sent\n`);
    const second = await runPlans(plans, { env, onEvent: progress(demoIo) });
    for (const report of second) io.stdout.write(summary(report, demoIo));

    io.stdout.write(`\n${c.bold("3. New conversions arrive")}: 50 in-store purchases, and only they are sent\n`);
    try {
      await seedDemo(seeder.warehouse(plans[0]!), now, { pos_orders: 50, crm_leads: 0, subscriptions: 0 }, 900_000);
    } finally {
      await seeder.close();
    }
    const third = await runPlans(
      plans.filter((p) => p.activation === "pos-purchases"),
      { env, onEvent: progress(demoIo) },
    );
    for (const report of third) io.stdout.write(summary(report, demoIo));

    const stats = sandbox.stats();
    io.stdout.write(
      `\nThe sandbox accepted ${number(stats.accepted)} events (${number(stats.duplicates)} duplicates) in ${number(stats.requests)} requests; every identifier arrived as SHA-256.\n` +
        `Inspect the sync state: WAREHOUSE_URL=${url} npx ferry state show pos-purchases\n`,
    );
    const failed = [...first, ...second, ...third].some(runFailed);
    return failed ? EXIT.failed : EXIT.ok;
  } finally {
    await sandbox.close();
  }
}
