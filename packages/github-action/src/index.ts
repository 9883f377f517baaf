// The action runs in a worker thread, whose young generation can be sized (see
// RUN_RESOURCE_LIMITS in @ferry/engine); this thread only passes its exit code on.
import { startRunWorker } from "@ferry/engine/heap";

startRunWorker(new URL("./run.js", import.meta.url), {
  // The GitHub log's error command as @actions/core writes it. Importing core here would load
  // it twice: +10 MB RSS and 40 ms in this thread (measured).
  report: (error) =>
    process.stdout.write(
      `::error::${String(error instanceof Error ? error.message : error)
        .replace(/%/g, "%25")
        .replace(/\r/g, "%0D")
        .replace(/\n/g, "%0A")}\n`,
    ),
});
