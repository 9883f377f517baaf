// Runs the sandbox as its own process (the benchmark and some tests need it out of process):
// prints one JSON line {"url","token"} when listening, stops on SIGTERM/SIGINT.
import { startSandbox } from "./sandbox.js";

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const sandbox = await startSandbox({
  port: Number(arg("port") ?? 0),
  keepEvents: !process.argv.includes("--no-keep-events"),
  ...(process.argv.includes("--no-window") ? { windowDays: null } : {}),
});
console.log(JSON.stringify({ url: sandbox.url, token: sandbox.token }));
const stop = () => void sandbox.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
