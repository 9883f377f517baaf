import { spawn } from "node:child_process";
import { readFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

// Keeps the benchmark from rotting: a tiny run on SQLite must produce every figure. (Its
// timings are not asserted: targets live in the benchmark, not in tests.)
it("runs end to end on a small SQLite profile and reports every figure", async () => {
  const out = path.join(await mkdtemp(path.join(tmpdir(), "ferry-bench-out-")), "RESULTS.md");
  const bench = fileURLToPath(new URL("../dist/bench.js", import.meta.url));
  const child = spawn(process.execPath, [bench, "--rows", "3000", "--warehouse", "sqlite", "--json", "--out", out], {
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
  expect(await readFile(out, "utf8")).toContain("| ratio to floor |");
});
