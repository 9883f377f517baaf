// The action runs in a worker thread, whose young generation can be sized (see
// RUN_RESOURCE_LIMITS in @ferry/engine); this thread only passes its exit code on.
import { Worker } from "node:worker_threads";
import { RUN_RESOURCE_LIMITS } from "@ferry/engine/heap";

const worker = new Worker(new URL("./run.js", import.meta.url), { resourceLimits: RUN_RESOURCE_LIMITS });
worker.on("error", (error) => {
  // The GitHub log's error command, as @actions/core writes it (not bundled in this file).
  process.stdout.write(
    `::error::${String(error instanceof Error ? error.message : error)
      .replace(/%/g, "%25")
      .replace(/\r/g, "%0D")
      .replace(/\n/g, "%0A")}\n`,
  );
  process.exitCode = 1;
});
worker.on("exit", (code) => {
  process.exitCode ||= code;
});
