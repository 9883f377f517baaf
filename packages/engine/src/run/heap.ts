import v8 from "node:v8";
import { Worker } from "node:worker_threads";

/**
 * Resource limits for the thread that runs syncs (the `ferry` binary and the GitHub Action run
 * their work in a worker thread with these, by startRunWorker; the benchmark measures the same
 * way). A run allocates some 6 KB a row, nearly all dead within a batch: a 96 MB young
 * generation collects it far less often (bench/FINDINGS.md#heap). Node sets the size only when a
 * heap is created, by a command-line flag or for a worker.
 */
export const RUN_RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 96 } as const;

/**
 * How far V8 lets the old generation grow past what the last full collection left alive before
 * collecting it again: batches in flight get promoted and die there, and V8's own factor (up to
 * 4x for a small heap) let it double over a long run (bench/FINDINGS.md#heap). Process-wide,
 * read at each collection, set by startRunWorker before the worker starts.
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
