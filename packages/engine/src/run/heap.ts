import v8 from "node:v8";
import { Worker } from "node:worker_threads";

/**
 * Resource limits for the thread that runs syncs (the `ferry` binary and the GitHub Action run
 * their work in a worker thread with these, by startRunWorker; the benchmark measures the same way).
 *
 * Why: a run allocates some 6 KB a row (driver rows, events, JSON), nearly all of it dead within
 * a batch. V8's default young generation (48 MB on 64-bit) filled up about 390 times a
 * million-row run, and each collection copied the rows and batches still in flight: 1.5 s of
 * the process's 9 s of CPU. With 96 MB the same run took 11.5-12.2 s instead of 12.3-13.0 s,
 * 8.4-9.5 CPU-s instead of 9.6-10.3, and peaked lower (178-191 MB against 216-218 MB RSS);
 * 192 MB gained little more and peaked at 245 MB (PostgreSQL, measured on a 2-core Xeon).
 * Node sets the size only when a heap is created, by a command-line flag or for a worker.
 */
export const RUN_RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 96 } as const;

/**
 * How far V8 lets the old generation grow past what the last full collection left alive before
 * collecting it again (V8's own factor goes up to 4x for a small heap). A run keeps about 25 MB
 * alive, but batches in flight get promoted and die there: with V8's factor the old generation
 * grew from 27 MB at 100k rows to 55 MB at a million, and peak RSS with it (165-172 -> 190-199
 * MB). At 30% it stayed near what is alive, but a million-row run took 33 full collections, and
 * the mutator ran behind incremental marking's barriers much of the time; at 50%, 18 (in
 * alternating rounds: 10.7-11.7 -> 10.0-11.1 s, Ferry's CPU 9.6-10.6 -> 8.6-9.6 s, peak RSS
 * 187-197 -> 192-200 MB, against 183-190 MB at 100k rows). 70% and 100% were no faster and
 * peaked higher. Measured again once a run promoted less (2026-11-26, five alternating rounds
 * each): 30% took 10-11 full collections against 5-7 and peaked the same, 185 MB median. A
 * process-wide V8 flag, read at each collection, set by startRunWorker.
 */
const RUN_HEAP_GROWING_PERCENT = 50;

/**
 * Starts `entry` in a worker thread with RUN_RESOURCE_LIMITS. Its exit code becomes the
 * process's; an error it lets escape is told to `report` (default: stderr) and exits 1.
 */
export function startRunWorker(
  entry: URL,
  options: { workerData?: unknown; argv?: string[]; report?: (error: unknown) => void } = {},
): Worker {
  v8.setFlagsFromString(`--heap-growing-percent=${RUN_HEAP_GROWING_PERCENT}`);
  const worker = new Worker(entry, {
    ...(options.workerData !== undefined ? { workerData: options.workerData } : {}),
    ...(options.argv ? { argv: options.argv } : {}),
    resourceLimits: RUN_RESOURCE_LIMITS,
  });
  const report =
    options.report ??
    ((error: unknown) => process.stderr.write(`error ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`));
  worker.on("error", (error) => {
    report(error);
    process.exitCode = 1;
  });
  worker.on("exit", (code) => {
    process.exitCode ||= code;
  });
  return worker;
}
