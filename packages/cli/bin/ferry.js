#!/usr/bin/env node
// The command runs in a worker thread, whose young generation can be sized (see
// RUN_RESOURCE_LIMITS); this thread only relays signals and the exit code. It loads nothing
// else, so the CLI's modules are loaded once.
import { isMainThread, parentPort, workerData } from "node:worker_threads";

if (isMainThread) {
  // Before anything that an older Node.js could fail on in a less readable way.
  const { unsupportedNode } = await import("../dist/release.js");
  const unsupported = unsupportedNode();
  if (unsupported) {
    process.stderr.write(`ferry: ${unsupported}\n`);
    process.exit(1);
  }
  const { startRunWorker } = await import("@ferry/engine/heap");
  const worker = startRunWorker(new URL(import.meta.url), {
    workerData: { args: process.argv.slice(2), stdoutTTY: process.stdout.isTTY === true, stderrTTY: process.stderr.isTTY === true },
  });
  // First Ctrl-C stops gracefully (batches in flight finish and are recorded); a second one exits.
  let interrupted = false;
  const stop = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write("\nstopping after the batches in flight (Ctrl-C again to quit now)…\n");
    worker.postMessage("abort");
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  worker.on("message", (message) => {
    if (typeof message?.text === "string") (message.fd === 2 ? process.stderr : process.stdout).write(message.text);
  });
  worker.on("exit", () => {
    process.removeListener("SIGINT", stop);
    process.removeListener("SIGTERM", stop);
  });
} else {
  const { main } = await import("../dist/index.js");
  const controller = new AbortController();
  parentPort.on("message", (message) => message === "abort" && controller.abort());
  parentPort.unref();
  // A worker's own stdout and stderr are relayed to the process's each on its own channel, so
  // their order between them was lost (a run's "started" line came after the summary printed
  // after it). The command's output goes through one channel, written in the order it was
  // made; only whether each stream is a terminal must be told.
  const relay = (fd, isTTY) => ({ write: (text) => parentPort.postMessage({ fd, text }), isTTY });
  process.exitCode = await main(workerData.args, {
    stdout: relay(1, workerData.stdoutTTY),
    stderr: relay(2, workerData.stderrTTY),
    env: process.env,
    cwd: process.cwd(),
    signal: controller.signal,
  });
}
