// npm run bench [-- --rows N] [--warehouse postgres|sqlite|duckdb] [--json] [--repeat N] [--heap] [--profile DIR] [--api-only] [--skip-api]
// Seeds N conversions, measures the floor (stream + SHA-256 alone), a full Ferry run to the
// TikTok sandbox in another process, and incremental reruns; prints a table, writes
// bench/RESULTS.md. Timing targets live here, never in tests.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, tmpdir, totalmem } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { connect, type Warehouse } from "@ferry/warehouse";
import { cpuSnapshot } from "./cpu.js";
import { runScenarios, scenarioTable, writeApiActivation, writeBenchActivation, type ScenarioResult } from "./api.js";
import { options } from "./options.js";
import { seed } from "./seed.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../../..");
const { values, apiOnly, rows, apiRows, kind, repeats } = options;
const log = (message: string) => process.stderr.write(`${message}\n`);
const cores = availableParallelism();

/** Runs a child and returns its single JSON line. */
/** With --profile: node flags that write a V8 CPU profile of the process there. */
const profiling = (name?: string) =>
  values.profile ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(values.profile)}`, ...(name ? [`--cpu-prof-name=${name}`] : [])] : [];

/** The bench's own connection, closed while a measured process runs: DuckDB lets one process open its file. */
let parent: Warehouse | undefined;
const wh = () => (parent ??= connect(url));
const release = async () => {
  await parent?.close();
  parent = undefined;
};

async function child<T>(args: string[], env: Record<string, string | undefined>, nodeFlags: string[] = []): Promise<T> {
  await release();
  const proc = spawn(process.execPath, [...profiling(), ...nodeFlags, ...args], { env, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  proc.stdout.on("data", (d: Buffer) => (out += d));
  const code = await new Promise<number | null>((resolve) => proc.on("close", resolve));
  if (code !== 0) throw new Error(`${args.join(" ")} exited with ${code}`);
  return JSON.parse(out.trim().split("\n").at(-1)!) as T;
}

async function warehouseUrl(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (kind === "sqlite" || kind === "duckdb") {
    const dir = await mkdtemp(path.join(tmpdir(), "ferry-bench-"));
    return {
      url: `${kind}:${path.join(dir, `bench.${kind === "sqlite" ? "db" : "duckdb"}`)}`,
      drop: () => rm(dir, { recursive: true, force: true }),
    };
  }
  const server =
    process.env["FERRY_BENCH_POSTGRES_URL"] ?? process.env["FERRY_TEST_POSTGRES_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
  const admin = connect(server);
  await admin.execute("DROP DATABASE IF EXISTS ferry_bench WITH (FORCE)");
  await admin.execute("CREATE DATABASE ferry_bench");
  const url = new URL(server);
  url.pathname = "/ferry_bench";
  return {
    url: url.toString(),
    drop: async () => {
      await admin.execute("DROP DATABASE IF EXISTS ferry_bench WITH (FORCE)");
      await admin.close();
    },
  };
}

type Floor = {
  rows: number;
  streamSeconds: number;
  hashSeconds: number;
  mapSeconds: number;
  serializeSeconds: number;
  peakRssMb: number;
  cpuSeconds: number;
};
type Bound = {
  streamCpuSeconds: number;
  streamPostgresSeconds: number;
  serializeSeconds: number;
  parseSeconds: number;
  storeSeconds: number;
};
type Run = {
  seconds: number;
  heapAfterGcMb?: number[];
  peakRssMb: number;
  cpuSeconds: number;
  runThread?: { onCoreSeconds: number; waitingSeconds: number };
  report: {
    status: string;
    durationMs: number;
    batches: number;
    counts: { read: number; sent: number; rejected: number; notSent: number };
    retries: { throttled: number; waitedMs: number };
    inFlight?: { max: number; peak: number; mean: number };
    error?: { message: string };
  };
};

const { url, drop } = await warehouseUrl();
const work = await mkdtemp(path.join(tmpdir(), "ferry-bench-project-"));
const sandbox = spawn(
  process.execPath,
  [...profiling("sandbox.cpuprofile"), path.join(root, "packages/tiktok-sandbox/dist/main.js"), "--port", "0", "--no-keep-events"],
  {
    stdio: ["ignore", "pipe", "inherit"],
  },
);
try {
  const now = Date.now();
  const t = Date.now();
  await seed(wh(), 1, rows, now);
  log(`seeded ${rows.toLocaleString("en-US")} rows into ${kind} in ${((Date.now() - t) / 1000).toFixed(1)} s (not timed)`);

  const { url: sandboxUrl, token } = JSON.parse(
    (await createInterface({ input: sandbox.stdout })[Symbol.asyncIterator]().next()).value as string,
  ) as { url: string; token: string };
  await writeBenchActivation(path.join(work, "activations"), "bench-conversions", "table: conversions");
  const env = { ...process.env, BENCH_WAREHOUSE_URL: url, BENCH_TIKTOK_TOKEN: token, TIKTOK_API_BASE_URL: sandboxUrl };
  const worker = path.join(here, "worker.js");
  const extra = Math.max(1, Math.round(rows / 100));

  /**
   * Back to the seeded rows, no sync state, and a sandbox that has seen no event (it would
   * count the next round's as duplicates): the next round starts where the first did.
   */
  async function forget() {
    await wh().execute(`DELETE FROM conversions WHERE order_id > ${rows}`);
    await forgetState();
  }
  async function forgetState() {
    const reset = await fetch(new URL("/sandbox/reset", sandboxUrl), { method: "POST" });
    if (!reset.ok) throw new Error(`the sandbox did not reset: HTTP ${reset.status}`);
    // "ferry": the state schema of an activation whose ferry.yml names none, as here.
    if (kind === "postgres") {
      await wh().execute("DROP SCHEMA IF EXISTS ferry CASCADE");
      await wh().execute("VACUUM ANALYZE conversions");
    } else if (kind === "duckdb") {
      await wh().execute("DROP SCHEMA IF EXISTS ferry CASCADE");
    } else {
      for (const table of ["acked", "rejected", "runs", "locks"]) await wh().execute(`DROP TABLE IF EXISTS ferry_${table}`);
    }
  }

  async function measure(n: number) {
    const of = repeats > 1 ? ` (${n} of ${repeats})` : "";
    log(`floor: streaming the rows and hashing identifiers alone…${of}`);
    const floor = await child<Floor>([worker, "floor", url], env);
    log(`the least possible run: each step no run can skip, alone…${of}`);
    const bound = await child<Bound>([worker, "bound", url], env);
    log(`full run…${of}`);
    const cpuBefore = await cpuSnapshot(sandbox.pid);
    const full = values.heap
      ? await child<Run>([worker, "run", path.join(work, "activations"), String(rows)], env, ["--expose-gc"])
      : await child<Run>([worker, "run", path.join(work, "activations")], env);
    const cpuAfter = await cpuSnapshot(sandbox.pid);
    if (full.report.status !== "success" || full.report.counts.sent !== rows)
      throw new Error(`the full run did not send every row: ${JSON.stringify(full.report)}`);
    log(`rerun, no new rows…${of}`);
    const rerun0 = await child<Run>([worker, "run", path.join(work, "activations")], env);
    await seed(wh(), rows + 1, rows + extra, now);
    log(`rerun, ${extra.toLocaleString("en-US")} new rows (1%)…${of}`);
    const rerun1 = await child<Run>([worker, "run", path.join(work, "activations")], env);
    if (rerun1.report.counts.sent !== extra) throw new Error(`the 1% rerun sent ${rerun1.report.counts.sent}, expected ${extra}`);
    if (n < repeats) await forget();
    const floorSeconds = floor.streamSeconds + floor.hashSeconds;
    const perMillion = (seconds: number) => (seconds * 1e6) / rows;
    // PostgreSQL's share is read from /proc: without it there is no bound to state.
    const boundCpu =
      cpuBefore || kind === "sqlite"
        ? bound.streamCpuSeconds +
          bound.streamPostgresSeconds +
          floor.hashSeconds +
          bound.serializeSeconds +
          bound.parseSeconds +
          bound.storeSeconds
        : undefined;
    const boundSeconds = boundCpu === undefined ? undefined : boundCpu / cores;
    return {
      seconds: full.seconds,
      floor_seconds: floorSeconds,
      ratio_to_floor: full.seconds / floorSeconds,
      peak_rss_mb: full.peakRssMb,
      cpu_seconds: full.cpuSeconds,
      ...(cpuBefore && cpuAfter
        ? {
            sandbox_cpu_seconds: cpuAfter.sandbox - cpuBefore.sandbox,
            postgres_cpu_seconds: kind === "postgres" ? cpuAfter.postgres - cpuBefore.postgres : 0,
            machine_busy_percent: (100 * (cpuAfter.busy - cpuBefore.busy)) / (cpuAfter.total - cpuBefore.total),
          }
        : {}),
      ...(boundSeconds === undefined
        ? {}
        : {
            bound_seconds: boundSeconds,
            bound_ratio_to_floor: boundSeconds / floorSeconds,
            bound_stream_cpu: perMillion(bound.streamCpuSeconds + bound.streamPostgresSeconds),
            bound_sha256_cpu: perMillion(floor.hashSeconds),
            bound_serialise_cpu: perMillion(bound.serializeSeconds),
            bound_parse_cpu: perMillion(bound.parseSeconds),
            bound_store_cpu: perMillion(bound.storeSeconds),
          }),
      ...(full.runThread
        ? { thread_on_core_seconds: full.runThread.onCoreSeconds, thread_waiting_seconds: full.runThread.waitingSeconds }
        : {}),
      rerun_no_new_seconds: rerun0.seconds,
      rerun_1pct_seconds: rerun1.seconds,
      stream_seconds: perMillion(floor.streamSeconds),
      sha256_seconds: perMillion(floor.hashSeconds),
      map_normalise_hash_seconds: perMillion(floor.mapSeconds),
      serialise_seconds: perMillion(floor.serializeSeconds),
      heapAfterGcMb: full.heapAfterGcMb,
    };
  }

  const apiDir = await writeApiActivation(work, apiRows);
  const scenarios = async (): Promise<ScenarioResult[]> =>
    runScenarios({
      rows: apiRows,
      repeats,
      sandboxUrl,
      log,
      forget: forgetState,
      run: () => child<Run>([worker, "run", apiDir], env),
    });
  if (apiOnly) {
    const results = await scenarios();
    await release();
    const table = scenarioTable(results, apiRows);
    if (values.json) process.stdout.write(`${JSON.stringify({ warehouse: kind, api_rows: apiRows, api_scenarios: results }, null, 2)}\n`);
    else process.stdout.write(`${table}\n`);
    await writeResults(`--api-only --api-rows ${apiRows} --warehouse ${kind}`, table);
  } else await fullRunAndScenarios();

  async function fullRunAndScenarios() {
    const rounds: Awaited<ReturnType<typeof measure>>[] = [];
    for (let n = 1; n <= repeats; n++) rounds.push(await measure(n));
    if (repeats > 1) await forget();
    const apiResults = values["skip-api"] ? [] : await scenarios();
    await release();
    type Figure = Exclude<keyof (typeof rounds)[number], "heapAfterGcMb">;
    const all = (figure: Figure) => rounds.map((r) => r[figure]).filter((x): x is number => x !== undefined);
    // The median of an even count is the lower middle: a figure that was measured, not an average.
    const median = (figure: Figure) => {
      const sorted = all(figure).sort((a, b) => a - b);
      return sorted[Math.floor((sorted.length - 1) / 2)]!;
    };
    /** Each figure's median, rounded, under the name the report gives it (in that order). */
    const medians = <K extends string>(figures: Record<K, Figure>) =>
      Object.fromEntries(Object.entries<Figure>(figures).map(([name, figure]) => [name, round(median(figure))])) as Record<K, number>;
    const range = (figure: Figure): [number, number] => [round(Math.min(...all(figure))), round(Math.max(...all(figure)))];
    // With --heap, the first round's samples: a leak shows in any one round.
    const heapAfterGcMb = rounds[0]!.heapAfterGcMb;
    const elsewhere =
      rounds[0]!.sandbox_cpu_seconds === undefined
        ? undefined
        : {
            sandbox_cpu_seconds: round(median("sandbox_cpu_seconds")),
            // SQLite runs inside the Ferry process: its CPU is in cpu_seconds.
            ...(kind === "postgres" ? { postgres_cpu_seconds: round(median("postgres_cpu_seconds")) } : {}),
            machine_busy_percent: Math.round(median("machine_busy_percent")),
          };
    // The run thread's time on a core and ready but waiting for one (threadSched in measure.ts).
    const runThread =
      rounds[0]!.thread_on_core_seconds === undefined
        ? undefined
        : medians({ on_core_seconds: "thread_on_core_seconds", waiting_seconds: "thread_waiting_seconds" });
    const least =
      rounds[0]!.bound_seconds === undefined
        ? undefined
        : {
            seconds: round(median("bound_seconds")),
            ratio_to_floor: round(median("bound_ratio_to_floor")),
            cpu_seconds_per_million_rows: medians({
              stream: "bound_stream_cpu",
              sha256: "bound_sha256_cpu",
              serialise: "bound_serialise_cpu",
              parse: "bound_parse_cpu",
              store_keys: "bound_store_cpu",
            }),
          };
    const ranged = ["seconds", "floor_seconds", "ratio_to_floor", "peak_rss_mb", "rerun_no_new_seconds", "rerun_1pct_seconds"] as const;

    const result = {
      rows,
      warehouse: kind,
      seconds: round(median("seconds")),
      rows_per_second: Math.round(rows / median("seconds")),
      floor_seconds: round(median("floor_seconds")),
      ratio_to_floor: round(median("ratio_to_floor")),
      // The least a full run could take on this machine: see `bound` in measure.ts.
      ...(least ? { least_possible_run: least } : {}),
      peak_rss_mb: median("peak_rss_mb"),
      ...(heapAfterGcMb ? { heap_after_gc_mb: heapAfterGcMb } : {}),
      cpu_seconds: round(median("cpu_seconds")),
      ...(elsewhere ?? {}),
      ...(runThread ? { run_thread: runThread } : {}),
      rerun_no_new_seconds: round(median("rerun_no_new_seconds")),
      rerun_1pct_seconds: round(median("rerun_1pct_seconds")),
      breakdown_per_million_rows: medians({
        stream_seconds: "stream_seconds",
        sha256_seconds: "sha256_seconds",
        map_normalise_hash_seconds: "map_normalise_hash_seconds",
        serialise_seconds: "serialise_seconds",
      }),
      // With --repeat: each figure above is the median of the rounds; these are their ranges.
      ...(repeats > 1 ? { repeats, ranges: Object.fromEntries(ranged.map((f) => [f, range(f)])) } : {}),
      machine: `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    };
    const spread = (figure: (typeof ranged)[number], unit = "") => (repeats > 1 ? ` (${range(figure)[0]}–${range(figure)[1]}${unit})` : "");
    const table = [
      `| measure | ${kind}, ${rows.toLocaleString("en-US")} rows |`,
      "|---|---:|",
      `| full run | ${result.seconds} s${spread("seconds", " s")}: ${result.rows_per_second.toLocaleString("en-US")} rows/s |`,
      `| floor (stream + SHA-256 alone) | ${result.floor_seconds} s${spread("floor_seconds", " s")} |`,
      `| ratio to floor | ${result.ratio_to_floor}${spread("ratio_to_floor")} |`,
      ...(least
        ? [
            `| least possible full run: what no run can skip, each step alone, its CPU shared perfectly by the ${cores} cores | ${least.seconds} s: ratio to floor ${least.ratio_to_floor} |`,
            `| its CPU per million rows: stream / SHA-256 / serialise / the receiver's JSON.parse / storing the keys | ${Object.values(least.cpu_seconds_per_million_rows).join(" / ")} s |`,
          ]
        : []),
      `| peak RSS of the Ferry process | ${result.peak_rss_mb} MB${spread("peak_rss_mb", " MB")} |`,
      ...(heapAfterGcMb
        ? [`| heap in use after a full GC, at each tenth of the run | ${Math.min(...heapAfterGcMb)}–${Math.max(...heapAfterGcMb)} MB |`]
        : []),
      `| CPU time of the Ferry process | ${result.cpu_seconds} s |`,
      ...(elsewhere
        ? [
            elsewhere.postgres_cpu_seconds === undefined
              ? `| CPU time of the sandbox during the run (${kind === "sqlite" ? "SQLite" : "DuckDB"}'s is the Ferry process's) | ${elsewhere.sandbox_cpu_seconds} s |`
              : `| CPU time of the sandbox / PostgreSQL during the run | ${elsewhere.sandbox_cpu_seconds} / ${elsewhere.postgres_cpu_seconds} s |`,
            `| machine busy during the run (all ${cpus().length} cores) | ${elsewhere.machine_busy_percent}% |`,
          ]
        : []),
      ...(runThread
        ? [`| Ferry's run thread: on a core / ready but waiting for one | ${runThread.on_core_seconds} / ${runThread.waiting_seconds} s |`]
        : []),
      `| rerun, no new rows | ${result.rerun_no_new_seconds} s${spread("rerun_no_new_seconds", " s")} |`,
      `| rerun, 1% new rows | ${result.rerun_1pct_seconds} s${spread("rerun_1pct_seconds", " s")} |`,
      `| per million rows: stream / SHA-256 / map+normalise+hash / serialise | ${Object.values(result.breakdown_per_million_rows).join(" / ")} s |`,
    ].join("\n");
    const apiTable = apiResults.length ? `\n\n${scenarioTable(apiResults, apiRows)}` : "";
    if (values.json) process.stdout.write(`${JSON.stringify({ ...result, api_rows: apiRows, api_scenarios: apiResults }, null, 2)}\n`);
    else process.stdout.write(`${table}${apiTable}\n`);
    await writeResults(`--rows ${rows} --warehouse ${kind}${values["skip-api"] ? " --skip-api" : ""}`, `${table}${apiTable}`);
  }
} finally {
  sandbox.kill("SIGTERM");
  await rm(work, { recursive: true, force: true });
  await drop();
}

async function writeResults(args: string, tables: string) {
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  await writeFile(
    values.out ?? path.join(root, "bench/RESULTS.md"),
    `# Benchmark results\n\nProduced by \`npm run bench -- ${args}${repeats > 1 ? ` --repeat ${repeats}` : ""}\` on ${new Date().toISOString().slice(0, 10)}; ${machine}.\nThe TikTok sandbox runs in another process on the same machine.${repeats > 1 ? ` Each figure is the median of ${repeats} rounds, their range in brackets.` : ""}\n\n${tables}\n`,
  );
}

function round(x: number) {
  return Math.round(x * 100) / 100;
}
