import { startSandbox } from "@ferry/tiktok-sandbox";
import { parse } from "../args.js";
import { EXIT, UsageError, type Io } from "../io.js";

export const sandboxHelp = `Usage: ferry sandbox [options]

Starts a local TikTok Events API that enforces the API contract (token, body shape, batch
size, event names, hashed identifiers, seconds, currencies, the 28-day window) and answers
with TikTok's codes. Point Ferry at it with TIKTOK_API_BASE_URL; what it accepted is served at
/sandbox/events and counted at /sandbox/stats. Runs until interrupted (Ctrl-C).

Options:
  --port N             port to listen on (default 8787; 0 picks a free one)
  --token T            the access token it accepts (default sandbox-token)
  -h, --help           show this help

Examples:
  ferry sandbox --port 8787
  TIKTOK_API_BASE_URL=http://127.0.0.1:8787 TIKTOK_ACCESS_TOKEN=sandbox-token ferry run
`;

export async function sandbox(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { port: { type: "string" }, token: { type: "string" } });
  if (values.help) {
    io.stdout.write(sandboxHelp);
    return EXIT.ok;
  }
  const port = values.port === undefined ? 8787 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError("--port takes a port number from 0 to 65535");
  const server = await startSandbox({ port, tokens: [values.token ?? "sandbox-token"] });
  io.stdout.write(
    `TikTok sandbox listening on ${server.url}\n\n  export TIKTOK_API_BASE_URL=${server.url}\n  export TIKTOK_ACCESS_TOKEN=${server.token}\n\nAccepted events: ${server.url}/sandbox/events · stats: ${server.url}/sandbox/stats · Ctrl-C to stop\n`,
  );
  await new Promise<void>((resolve) => {
    if (io.signal?.aborted) return resolve();
    io.signal?.addEventListener("abort", () => resolve(), { once: true });
  });
  const stats = server.stats();
  await server.close();
  io.stdout.write(`\nstopped: ${stats.accepted} events accepted, ${stats.duplicates} duplicates, ${stats.refused} requests refused\n`);
  return EXIT.ok;
}
