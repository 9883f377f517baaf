// One measured process: `node worker.js floor <url>` or `node worker.js run <dir> [rows]` (see
// measure.ts). A run is measured as the ferry binary and the GitHub Action run one: in a worker
// thread with Ferry's resource limits, the main thread loading nothing else.
import { isMainThread, Worker } from "node:worker_threads";
import { RUN_RESOURCE_LIMITS } from "@ferry/engine/heap";

if (isMainThread && process.argv[2] === "run") {
  const worker = new Worker(new URL(import.meta.url), { argv: process.argv.slice(2), resourceLimits: RUN_RESOURCE_LIMITS });
  worker.on("error", (error) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
  worker.on("exit", (code) => {
    process.exitCode ||= code;
  });
} else {
  await import("./measure.js");
}
