#!/usr/bin/env node
import { main } from "../dist/index.js";

// First Ctrl-C stops gracefully (batches in flight finish and are recorded); a second one exits.
const controller = new AbortController();
let interrupted = false;
const stop = () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  process.stderr.write("\nstopping after the batches in flight (Ctrl-C again to quit now)…\n");
  controller.abort();
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
process.removeListener("SIGINT", stop);
process.removeListener("SIGTERM", stop);
