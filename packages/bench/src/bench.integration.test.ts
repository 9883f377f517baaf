import { spawn } from "node:child_process";
import { readFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const BENCH = fileURLToPath(new URL("../dist/bench.js", import.meta.url));

/** Runs the benchmark's command line; stdout and stderr apart. */
async function bench(args: string[]) {
  const child = spawn(process.execPath, [BENCH, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d));
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  const code = await new Promise((resolve) => child.on("close", resolve));
  return { code, stdout, stderr };
}

// Keeps the benchmark from rotting: a tiny run on SQLite must produce every figure. (Its
// timings are not asserted: targets live in the benchmark, not in tests.)
it("runs end to end on a small SQLite profile, twice from the same start, and reports every figure with its range", async () => {
  const out = path.join(await mkdtemp(path.join(tmpdir(), "ferry-bench-out-")), "RESULTS.md");
  const { code, stdout } = await bench(["--rows", "3000", "--warehouse", "sqlite", "--repeat", "2", "--json", "--out", out]);
  expect(code).toBe(0);
  const result = JSON.parse(stdout);
  expect(Object.keys(result)).toEqual(
    expect.arrayContaining([
      "rows",
      "seconds",
      "rows_per_second",
      "floor_seconds",
      "ratio_to_floor",
      "peak_rss_mb",
      "rerun_no_new_seconds",
      "rerun_1pct_seconds",
    ]),
  );
  expect(result.rows).toBe(3000);
  // The second round sent every row again (it throws otherwise): the state was forgotten.
  expect(result.repeats).toBe(2);
  expect(result.ranges.seconds).toHaveLength(2);
  expect(result.ranges.seconds[0]).toBeLessThanOrEqual(result.seconds);
  expect(result.ranges.seconds[1]).toBeGreaterThanOrEqual(result.seconds);
  // The least possible run adds up steps measured alone: each was measured (storing 3,000 keys
  // may round to nothing).
  const least = result.least_possible_run;
  for (const step of ["stream", "sha256", "serialise", "parse"]) expect(least.cpu_seconds_per_million_rows[step]).toBeGreaterThan(0);
  expect(least.cpu_seconds_per_million_rows.store_keys).toBeGreaterThanOrEqual(0);
  expect(least.seconds).toBeGreaterThan(0);
  expect(least.ratio_to_floor).toBeGreaterThan(0);
  // SQLite runs inside the Ferry process: no PostgreSQL figure, in the JSON or the table.
  expect(result).not.toHaveProperty("postgres_cpu_seconds");
  // /proc was read (on Linux, as in CI): the sandbox's CPU, and the run thread's schedstat, whose
  // time on a core is part of the process's CPU.
  if (process.platform === "linux") {
    expect(await readFile(out, "utf8")).toContain("| CPU time of the sandbox during the run (SQLite's is the Ferry process's) |");
    expect(result.run_thread.on_core_seconds).toBeGreaterThan(0);
    expect(result.run_thread.on_core_seconds).toBeLessThanOrEqual(result.cpu_seconds);
    expect(result.run_thread.waiting_seconds).toBeGreaterThanOrEqual(0);
    expect(await readFile(out, "utf8")).toContain("| Ferry's run thread: on a core / ready but waiting for one |");
  }
  expect(await readFile(out, "utf8")).toContain("| ratio to floor |");
  expect(await readFile(out, "utf8")).toContain("| least possible full run:");
  expect(await readFile(out, "utf8")).toContain("median of 2 rounds");
});

it("teaches with --help, and refuses an unknown option with the usage", async () => {
  const help = await bench(["--help"]);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain("--repeat N");
  const wrong = await bench(["--rowz", "5"]);
  expect(wrong.code).toBe(2);
  expect(wrong.stderr).toMatch(/^bench: Unknown option '--rowz'/);
  expect(wrong.stderr).toContain("Usage: npm run bench");
});
