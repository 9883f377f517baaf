// The action runs in a worker thread, whose young generation can be sized (see
// RUN_RESOURCE_LIMITS in @ferry/engine); this thread only passes its exit code on.
import { startRunWorker } from "@ferry/engine/heap";

startRunWorker(new URL("./run.js", import.meta.url), {
  // The GitHub log's error command as @actions/core writes it: importing core here would load it
  // a second time, in this thread too.
  report: (error) =>
    process.stdout.write(
      `::error::${String(error instanceof Error ? error.message : error)
        .replace(/%/g, "%25")
        .replace(/\r/g, "%0D")
        .replace(/\n/g, "%0A")}\n`,
    ),
});
