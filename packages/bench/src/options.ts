import { parseArgs } from "node:util";

// The benchmark's command line: its usage text, and its options read and checked.

const USAGE = `Usage: npm run bench -- [options]

Seeds conversions into a warehouse (not timed), then measures on this machine:
  the floor       streaming the same rows with the same driver, and SHA-256 of their
                  emails and phones, doing nothing else
  least possible  a full run at best on this machine: the CPU of each step no run can
                  skip (stream, SHA-256, serialise, the receiver's JSON.parse, storing the
                  keys), each measured alone, shared perfectly by the machine's cores
  a full run      Ferry sending every row to the TikTok sandbox, which runs in another
                  process: wall time, rows/s, peak RSS and CPU time of the Ferry process,
                  CPU time of the sandbox and of PostgreSQL, how busy the machine was,
                  and the time Ferry's run thread spent on a core and ready but waiting
                  for one (Linux)
  two reruns      one with no new rows, one with 1% new rows, over the full history
  API scenarios   Ferry, with its default settings, against a sandbox as slow as TikTok
                  (150 ms + 0.05 ms an event, at most 8 requests in flight): alone, rate-
                  limited to 10 requests/s with TikTok's 40100, and with a gateway's 429 and
                  Retry-After; events/s against the best possible under those limits,
                  throttled replies per accepted batch, failed runs
It prints a table (or JSON) and writes the table to bench/RESULTS.md.

Options:
  --rows N              conversions to seed (default 1000000; 100000 is a one-minute check)
  --warehouse KIND      postgres (default; FERRY_BENCH_POSTGRES_URL, else
                        FERRY_TEST_POSTGRES_URL, else postgres://postgres@127.0.0.1:5432/test;
                        a database ferry_bench is made and dropped there), sqlite or duckdb
  --repeat N            measure N times from the same seed, the state forgotten in between,
                        and report each figure's median and range (machines whose speed
                        drifts need it to compare two versions)
  --json                print {rows, seconds, rows_per_second, floor_seconds, ratio_to_floor,
                        peak_rss_mb, rerun_no_new_seconds, rerun_1pct_seconds, …} instead
  --out FILE            write the table there instead of bench/RESULTS.md
  --api-rows N          conversions each API scenario sends (default 200000, at most --rows)
  --api-only            measure the API scenarios only (seeds --api-rows conversions)
  --skip-api            measure the full run and reruns only (to compare warehouses)
  --heap                sample the heap after a full GC at every tenth of the full run
  --profile DIR         write a V8 CPU profile of each measured process into DIR
  -h, --help            show this help
`;
const parsed = (() => {
  try {
    return parseArgs({
      options: {
        rows: { type: "string", default: "1000000" },
        warehouse: { type: "string", default: "postgres" },
        json: { type: "boolean", default: false },
        repeat: { type: "string", default: "1" },
        out: { type: "string" },
        // Writes a V8 CPU profile of each measured process there (open in Chrome DevTools).
        profile: { type: "string" },
        // Samples the heap after a full GC at every tenth of the full run (costs it a few GCs).
        heap: { type: "boolean", default: false },
        "api-rows": { type: "string", default: "200000" },
        "api-only": { type: "boolean", default: false },
        "skip-api": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
})();
const { values } = parsed;
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const usageError = (message: string): never => {
  process.stderr.write(`bench: ${message}\n\n${USAGE}`);
  process.exit(2);
};
const apiOnly = values["api-only"];
const rows = apiOnly ? Number(values["api-rows"]) : Number(values.rows);
const apiRows = Math.min(Number(values["api-rows"]), rows);
const kind = values.warehouse;
const repeats = Number(values.repeat);
if (!Number.isInteger(rows) || rows < 1) usageError("--rows takes a positive whole number");
if (!Number.isInteger(apiRows) || apiRows < 1) usageError("--api-rows takes a positive whole number");
if (kind !== "postgres" && kind !== "sqlite" && kind !== "duckdb") usageError("--warehouse takes postgres, sqlite or duckdb");
if (!Number.isInteger(repeats) || repeats < 1 || repeats > 20) usageError("--repeat takes a whole number from 1 to 20");

export const options = { values, apiOnly, rows, apiRows, kind: kind as "postgres" | "sqlite" | "duckdb", repeats };
