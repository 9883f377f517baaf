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
  --latency MS         answer every request this many milliseconds late, as a real API does
  --latency-per-event MS
                       and this much more per event of an accepted batch (e.g. 0.05)
  --jitter MS          and up to this much more, at random
  --qps N              accept N track requests a second (a token bucket); throttle the rest
  --burst N            let this many through at once (default: the --qps figure)
  --per-minute N       accept N track requests a minute; throttle the rest, saying "minute"
  --per-day N          accept N track requests a UTC day; throttle the rest, saying "daily"
  --max-in-flight N    accept at most N requests at once; throttle the rest
  --throttle-429       throttle as a gateway does (HTTP 429) instead of TikTok's code 40100
  --retry-after S      send Retry-After: S (seconds, fractions allowed) with throttled answers
  -h, --help           show this help

Examples:
  ferry sandbox --port 8787
  TIKTOK_API_BASE_URL=http://127.0.0.1:8787 TIKTOK_ACCESS_TOKEN=sandbox-token ferry run
  ferry sandbox --latency 150 --latency-per-event 0.05 --qps 10 --burst 2   (TikTok, slow and rate-limited)
  ferry sandbox --latency 150 --qps 10 --throttle-429 --retry-after 0.5     (a gateway in front of it)
`;

/** A non-negative number option, or a usage error naming it. */
function amount(values: Record<string, unknown>, name: string, integer: boolean): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n)))
    throw new UsageError(`--${name} takes a ${integer ? "whole " : ""}number of 0 or more`);
  return n;
}

export async function sandbox(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {
    port: { type: "string" },
    token: { type: "string" },
    latency: { type: "string" },
    "latency-per-event": { type: "string" },
    jitter: { type: "string" },
    qps: { type: "string" },
    burst: { type: "string" },
    "per-minute": { type: "string" },
    "per-day": { type: "string" },
    "max-in-flight": { type: "string" },
    "throttle-429": { type: "boolean" },
    "retry-after": { type: "string" },
  });
  if (values.help) {
    io.stdout.write(sandboxHelp);
    return EXIT.ok;
  }
  const port = values.port === undefined ? 8787 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError("--port takes a port number from 0 to 65535");
  const faults = {
    latencyMs: amount(values, "latency", false),
    latencyPerEventMs: amount(values, "latency-per-event", false),
    latencyJitterMs: amount(values, "jitter", false),
    qps: amount(values, "qps", false),
    burst: amount(values, "burst", true),
    perMinute: amount(values, "per-minute", true),
    perDay: amount(values, "per-day", true),
    maxInFlight: amount(values, "max-in-flight", true),
    retryAfterSeconds: amount(values, "retry-after", false),
    ...(values["throttle-429"] ? { throttleWith429: true } : {}),
  };
  const server = await startSandbox({
    port,
    tokens: [values.token ?? "sandbox-token"],
    faults: Object.fromEntries(Object.entries(faults).filter(([, v]) => v !== undefined)),
  });
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
