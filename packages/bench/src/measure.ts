// The measurements of worker.ts: `floor <url>` streams the rows and hashes identifiers (the
// physical floor), plus micro-timings of mapping and serialisation; `run <dir>` is a real Ferry
// run. Prints one JSON line with its timings, peak RSS and CPU time (of the whole process).
import { hash as oneShotHash } from "node:crypto";
import { compile, runPlans } from "@ferry/engine";
import { loadActivations } from "@ferry/schema";
import { createMapper } from "@ferry/tiktok";
import { connect } from "@ferry/warehouse";
import { COLUMNS } from "./seed.js";

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

function usage() {
  const u = process.resourceUsage();
  return { peakRssMb: Math.round(u.maxRSS / 1024), cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6 };
}

async function floor(url: string) {
  const warehouse = connect(url);
  const mapper = createMapper({
    activation: "bench",
    event: "CompletePayment",
    mapping: {
      event_time: "purchased_at",
      email: "email",
      phone: "phone",
      value: "amount",
      currency: "currency",
      num_items: "items",
      order_id: "order_id",
      shop_id: "store_id",
    },
    defaultRegion: "FR",
    maxEventAgeDays: 28,
    now: Math.floor(Date.now() / 1000),
  });
  let rows = 0;
  let hash = 0;
  let map = 0;
  let serialize = 0;
  const start = process.hrtime.bigint();
  for await (const chunk of warehouse.streamQuery(`SELECT ${COLUMNS} FROM conversions`)) {
    rows += chunk.length;
    let t = process.hrtime.bigint();
    // The one-shot primitive Ferry's mapper uses: createHash costs twice as much a value, and
    // measuring the floor with it would flatter the ratio.
    for (const row of chunk) {
      oneShotHash("sha256", String(row["email"]), "hex");
      oneShotHash("sha256", String(row["phone"]), "hex");
    }
    hash += seconds(t);
    t = process.hrtime.bigint();
    const events = chunk.map((row) => mapper(row, "0123456789abcdef0123456789abcdef"));
    map += seconds(t);
    t = process.hrtime.bigint();
    JSON.stringify({ event_source: "offline", event_source_id: "7100000000000000001", data: events.map((e) => (e.ok ? e.event : null)) });
    serialize += seconds(t);
  }
  const total = seconds(start);
  await warehouse.close();
  return {
    rows,
    streamSeconds: total - hash - map - serialize,
    hashSeconds: hash,
    mapSeconds: map,
    serializeSeconds: serialize,
    ...usage(),
  };
}

/**
 * With --expose-gc and an expected row count: the heap in use after a full collection at every
 * tenth of the run, which tells retained data (a leak grows it) from allocator high water.
 */
function heapSampler(rows: number | undefined) {
  const gc = (globalThis as { gc?: () => void }).gc;
  const heapMb: number[] = [];
  let next = rows ? rows / 10 : Infinity;
  return {
    heapMb,
    onEvent: (e: { type: string; read?: number }) => {
      if (!gc || e.type !== "progress" || (e.read ?? 0) < next) return;
      gc();
      heapMb.push(Math.round(process.memoryUsage().heapUsed / 2 ** 20));
      next += rows! / 10;
    },
  };
}

async function run(dir: string, rows: number | undefined) {
  const loaded = await loadActivations([dir]);
  if (loaded.issues.some((i) => i.severity === "error")) throw new Error(JSON.stringify(loaded.issues));
  const plans = loaded.activations.map((a) => compile(a, process.env));
  const heap = heapSampler(rows);
  const start = process.hrtime.bigint();
  const [report] = await runPlans(plans, { env: process.env, onEvent: heap.onEvent });
  return { seconds: seconds(start), report, ...usage(), ...(heap.heapMb.length ? { heapAfterGcMb: heap.heapMb } : {}) };
}

const [mode, arg, rows] = process.argv.slice(2);
const result = mode === "floor" ? await floor(arg!) : await run(arg!, rows ? Number(rows) : undefined);
process.stdout.write(`${JSON.stringify(result)}\n`);
