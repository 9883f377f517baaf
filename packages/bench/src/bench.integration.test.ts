import { spawn } from "node:child_process";
import { readFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

// Keeps the benchmark from rotting: a tiny run on SQLite must produce every figure. (Its
// timings are not asserted: targets live in the benchmark, not in tests.)
it("runs end to end on a small SQLite profile, twice from the same start, and reports every figure with its range", async () => {
  const out = path.join(await mkdtemp(path.join(tmpdir(), "ferry-bench-out-")), "RESULTS.md");
  const bench = fileURLToPath(new URL("../dist/bench.js", import.meta.url));
  const child = spawn(process.execPath, [bench, "--rows", "3000", "--warehouse", "sqlite", "--repeat", "2", "--json", "--out", out], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d));
  expect(await new Promise((resolve) => child.on("close", resolve))).toBe(0);
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
  expect(await readFile(out, "utf8")).toContain("| ratio to floor |");
  expect(await readFile(out, "utf8")).toContain("median of 2 rounds");
});

it("teaches with --help, and refuses an unknown option with the usage", async () => {
  const bench = fileURLToPath(new URL("../dist/bench.js", import.meta.url));
  const run = async (args: string[]) => {
    const child = spawn(process.execPath, [bench, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.stderr.on("data", (d: Buffer) => (out += d));
    return { code: await new Promise((resolve) => child.on("close", resolve)), out };
  };
  const help = await run(["--help"]);
  expect(help.code).toBe(0);
  expect(help.out).toContain("--repeat N");
  const wrong = await run(["--rowz", "5"]);
  expect(wrong.code).toBe(2);
  expect(wrong.out).toMatch(/^bench: Unknown option '--rowz'/);
  expect(wrong.out).toContain("Usage: npm run bench");
});
