// One measured process: `node worker.js floor <url>` or `node worker.js run <dir> [rows]` (see
// measure.ts). A run is measured as the ferry binary and the GitHub Action run one: in a worker
// thread with Ferry's resource limits, the main thread loading nothing else.
import { isMainThread } from "node:worker_threads";
import { startRunWorker } from "@ferry/engine/heap";

if (isMainThread && process.argv[2] === "run") startRunWorker(new URL(import.meta.url), { argv: process.argv.slice(2) });
else await import("./measure.js");
