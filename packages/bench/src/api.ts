// The API scenarios of `npm run bench`: Ferry against a sandbox that answers as slowly as
// TikTok and throttles as it does, with Ferry's default settings. Each reports events/s against
// the best any client could do under that API's limits, and throttled replies per accepted batch.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { FaultScript } from "@ferry/tiktok-sandbox";

/** A batch of 1,000 answered in 150 ms + 0.05 ms an event, at most 8 requests in flight. */
const SLOW: FaultScript = { latencyMs: 150, latencyPerEventMs: 0.05, maxInFlight: 8 };
const BATCH = 1000;
const BATCH_SECONDS = ((SLOW.latencyMs ?? 0) + BATCH * (SLOW.latencyPerEventMs ?? 0)) / 1000;

export interface Scenario {
  name: string;
  faults: FaultScript;
  /** Events a second the best client could send: the API's limits, whatever the client. */
  best: number;
}

/**
 * An API that answers at once: what this machine can do at all (Ferry, the sandbox and the
 * warehouse sharing its cores). A scenario's best possible is the lower of its limits and this.
 */
const INSTANT: Scenario = { name: "instant answers (this machine's own limit)", faults: {}, best: Infinity };

const SCENARIOS: Scenario[] = [
  { name: "latency only", faults: SLOW, best: ((SLOW.maxInFlight ?? 1) * BATCH) / BATCH_SECONDS },
  { name: "10 requests/s (burst 2), TikTok's 40100", faults: { ...SLOW, qps: 10, burst: 2 }, best: 10 * BATCH },
  {
    name: "10 requests/s (burst 2), a gateway's 429 + Retry-After: 1",
    faults: { ...SLOW, qps: 10, burst: 2, throttleWith429: true, retryAfterSeconds: 1 },
    best: 10 * BATCH,
  },
];

const TARGETS = { ratio: 0.9, throttledPerBatch: 0.05 };

type Report = {
  status: string;
  durationMs: number;
  batches: number;
  counts: { sent: number; notSent: number };
  retries: { throttled: number; waitedMs: number };
  inFlight?: { max: number; peak: number; mean: number };
  error?: { message: string };
};

export interface ScenarioResult {
  name: string;
  /** The API's bound. */
  best: number;
  /** The lower of the API's bound and the machine's (INSTANT's median). */
  bestHere: number;
  tries: {
    eventsPerSecond: number;
    ratio: number;
    throttledPerBatch: number;
    failed: boolean;
    sentShare: number;
    inFlight?: Report["inFlight"];
    error?: string;
  }[];
}

/**
 * A directory of activations for the benchmark: ferry.yml and one activation of the seeded
 * conversions, from `source` (a table or a query), every other setting left at its default.
 */
export async function writeBenchActivation(dir: string, name: string, source: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, "ferry.yml"),
    "version: 1\nwarehouses:\n  bench:\n    url_env: BENCH_WAREHOUSE_URL\ndefaults:\n  phone_default_region: FR\n",
  );
  await writeFile(
    path.join(dir, `${name}.yml`),
    `version: 1
name: ${name}
destination:
  type: tiktok-offline-conversions
  advertiser_id: "7000000000000000001"
  event_set_id: "7100000000000000001"
  access_token_env: BENCH_TIKTOK_TOKEN
source:
  warehouse: bench
  ${source}
  primary_key: order_id
event: CompletePayment
mapping:
  event_time: purchased_at
  email: email
  phone: phone
  value: amount
  currency: currency
  num_items: items
  order_id: order_id
  shop_id: store_id
schedule: daily
`,
  );
  return dir;
}

/** The API scenarios' activation: the first `rows` conversions. */
export const writeApiActivation = (work: string, rows: number) =>
  writeBenchActivation(path.join(work, "api-activations"), "bench-api", `query: select * from conversions where order_id <= ${rows}`);

/**
 * Runs each scenario `repeats` times: the sandbox reset and given the scenario's limits, the
 * sync state forgotten, then one measured `ferry run` of `rows` conversions.
 */
export async function runScenarios(options: {
  rows: number;
  repeats: number;
  sandboxUrl: string;
  run: () => Promise<{ report: Report }>;
  forget: () => Promise<void>;
  log: (message: string) => void;
}): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  let machine = Infinity;
  for (const scenario of [INSTANT, ...SCENARIOS]) {
    const result: ScenarioResult = { name: scenario.name, best: scenario.best, bestHere: Math.min(scenario.best, machine), tries: [] };
    for (let n = 1; n <= options.repeats; n++) {
      options.log(`API scenario "${scenario.name}"${options.repeats > 1 ? ` (${n} of ${options.repeats})` : ""}…`);
      await options.forget();
      const put = await fetch(new URL("/sandbox/faults", options.sandboxUrl), { method: "PUT", body: JSON.stringify(scenario.faults) });
      if (!put.ok) throw new Error(`the sandbox did not take the scenario's limits: HTTP ${put.status}`);
      const { report } = await options.run();
      const eventsPerSecond = report.counts.sent / (report.durationMs / 1000);
      result.tries.push({
        eventsPerSecond,
        ratio: eventsPerSecond / Math.min(scenario.best, machine),
        throttledPerBatch: report.retries.throttled / Math.max(1, report.batches),
        failed: report.status !== "success",
        sentShare: report.counts.sent / options.rows,
        ...(report.inFlight ? { inFlight: report.inFlight } : {}),
        ...(report.error ? { error: report.error.message } : {}),
      });
    }
    if (scenario === INSTANT) machine = median(result.tries.map((t) => t.eventsPerSecond));
    results.push(result);
  }
  await fetch(new URL("/sandbox/faults", options.sandboxUrl), { method: "PUT", body: "{}" });
  return results;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const r2 = (x: number) => Math.round(x * 100) / 100;
const events = (x: number) => `${Math.round(x).toLocaleString("en-US")} events/s`;

/** The scenarios' table: medians, ranges where repeated, and whether each target is met. */
export function scenarioTable(results: ScenarioResult[], rows: number): string {
  const lines = [
    `| API scenario, ${rows.toLocaleString("en-US")} rows, default settings | best possible: the API's limits / and this machine's | Ferry | of best (≥ ${TARGETS.ratio}) | throttled replies / accepted batch (≤ ${TARGETS.throttledPerBatch}) | failed runs | requests in flight: peak / mean | |`,
    "|---|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const r of results) {
    if (r.best === Infinity) {
      lines.push(`| ${r.name} | – / ${events(median(r.tries.map((t) => t.eventsPerSecond)))} | | | | | | |`);
      continue;
    }
    const ratios = r.tries.map((t) => t.ratio);
    const throttles = r.tries.map((t) => t.throttledPerBatch);
    const span = (xs: number[]) => (xs.length > 1 ? ` (${r2(Math.min(...xs))}–${r2(Math.max(...xs))})` : "");
    const failed = r.tries.filter((t) => t.failed).length;
    const flight = r.tries.map((t) => t.inFlight).filter((f) => f !== undefined);
    const ok = median(ratios) >= TARGETS.ratio && median(throttles) <= TARGETS.throttledPerBatch && failed === 0;
    lines.push(
      `| ${r.name} | ${events(r.best)} / ${events(r.bestHere)} | ${events(median(r.tries.map((t) => t.eventsPerSecond)))} | ${r2(median(ratios))}${span(ratios)} | ${r2(median(throttles))}${span(throttles)} | ${failed} of ${r.tries.length} | ${flight.length ? `${median(flight.map((f) => f.peak))} / ${r2(median(flight.map((f) => f.mean)))}` : "–"} | ${ok ? "met" : "not met"} |`,
    );
  }
  return lines.join("\n");
}
