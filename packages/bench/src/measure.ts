// The measurements of worker.ts: `floor <url>` streams the rows and hashes identifiers (the
// physical floor), plus micro-timings of mapping and serialisation; `bound <url>` the CPU of each
// step a full run cannot do without, done alone; `run <dir>` is a real Ferry run. Prints one
// JSON line with its timings, peak RSS and CPU time (of the whole process).
import { hash as oneShotHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { compile, runPlans } from "@ferry/engine";
import { loadActivations } from "@ferry/schema";
import { createMapper } from "@ferry/tiktok";
import { connect } from "@ferry/warehouse";
import { cpuSnapshot } from "./cpu.js";
import { COLUMNS } from "./seed.js";

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

function usage() {
  const u = process.resourceUsage();
  return { peakRssMb: Math.round(u.maxRSS / 1024), cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6 };
}

const cpuSeconds = (since?: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};
const postgresCpu = async () => (await cpuSnapshot())?.postgres ?? 0;
const BODY = { event_source: "offline", event_source_id: "7100000000000000001" };

const benchMapper = () =>
  createMapper({
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

async function floor(url: string) {
  const warehouse = connect(url);
  const mapper = benchMapper();
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
    JSON.stringify({ ...BODY, data: events.map((e) => (e.ok ? e.event : null)) });
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
 * The CPU of the steps a full run cannot skip besides the floor's hashing, each measured alone
 * (so without the cost of doing it alongside the others): streaming the rows (this process and
 * PostgreSQL), serialising the events, the receiver's JSON.parse of that text (the least the
 * sandbox, or TikTok, must do), and the warehouse storing one 64-character key a row in a table
 * without an index (the key computed in SQL, its cost measured apart and taken off). Mapping
 * beyond hashing, HTTP, validation and bookkeeping are left out, so the bound is low.
 */
async function bound(url: string) {
  const warehouse = connect(url);
  const postgres = warehouse.dialect.name === "postgres";
  const mapper = benchMapper();
  let pg = await postgresCpu();
  let cpu = process.cpuUsage();
  for await (const chunk of warehouse.streamQuery(`SELECT ${COLUMNS} FROM conversions`)) void chunk;
  const streamCpuSeconds = cpuSeconds(cpu);
  const streamPostgresSeconds = postgres ? (await postgresCpu()) - pg : 0;
  let serialize = 0;
  let parse = 0;
  for await (const chunk of warehouse.streamQuery(`SELECT ${COLUMNS} FROM conversions`)) {
    const events = chunk.map((row) => mapper(row, "0123456789abcdef0123456789abcdef"));
    cpu = process.cpuUsage();
    const text = JSON.stringify({ ...BODY, data: events.map((e) => (e.ok ? e.event : null)) });
    serialize += cpuSeconds(cpu);
    cpu = process.cpuUsage();
    JSON.parse(text);
    parse += cpuSeconds(cpu);
  }
  const key = warehouse.dialect.name === "sqlite" ? "printf('%064x', order_id)" : "lpad(to_hex(order_id), 64, '0')";
  // The warehouse's CPU: PostgreSQL's processes, or this one for SQLite and DuckDB (in-process).
  const spent = async (fn: () => Promise<unknown>) => {
    pg = await postgresCpu();
    cpu = process.cpuUsage();
    await fn();
    return postgres ? (await postgresCpu()) - pg : cpuSeconds(cpu);
  };
  await warehouse.execute("DROP TABLE IF EXISTS ferry_bound_keys");
  await warehouse.execute("CREATE TABLE ferry_bound_keys (k TEXT)");
  const keysAlone = await spent(() => warehouse.execute(`SELECT COUNT(${key}) AS n FROM conversions`));
  const keysStored = await spent(() => warehouse.execute(`INSERT INTO ferry_bound_keys SELECT ${key} FROM conversions`));
  await warehouse.execute("DROP TABLE ferry_bound_keys");
  await warehouse.close();
  return {
    streamCpuSeconds,
    streamPostgresSeconds,
    serializeSeconds: serialize,
    parseSeconds: parse,
    storeSeconds: Math.max(0, keysStored - keysAlone),
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

/**
 * The calling thread's time on a core and its time runnable but waiting in a run queue for one,
 * in seconds (Linux's schedstat); undefined where it cannot be read. A run's thread is the
 * pipeline's critical path: whatever it waits for a core, the whole run waits.
 */
function threadSched(): { onCore: number; waiting: number } | undefined {
  try {
    const [onCore, waiting] = readFileSync("/proc/thread-self/schedstat", "utf8").trim().split(" ").map(Number);
    return Number.isFinite(onCore) && Number.isFinite(waiting) ? { onCore: onCore! / 1e9, waiting: waiting! / 1e9 } : undefined;
  } catch {
    return undefined;
  }
}

async function run(dir: string, rows: number | undefined) {
  const loaded = await loadActivations([dir]);
  if (loaded.issues.some((i) => i.severity === "error")) throw new Error(JSON.stringify(loaded.issues));
  const plans = loaded.activations.map((a) => compile(a, process.env));
  const heap = heapSampler(rows);
  const sched = threadSched();
  const start = process.hrtime.bigint();
  const [report] = await runPlans(plans, { env: process.env, onEvent: heap.onEvent });
  const elapsed = seconds(start);
  const after = threadSched();
  return {
    seconds: elapsed,
    report,
    ...usage(),
    ...(sched && after ? { runThread: { onCoreSeconds: after.onCore - sched.onCore, waitingSeconds: after.waiting - sched.waiting } } : {}),
    ...(heap.heapMb.length ? { heapAfterGcMb: heap.heapMb } : {}),
  };
}

const [mode, arg, rows] = process.argv.slice(2);
const result =
  mode === "floor" ? await floor(arg!) : mode === "bound" ? await bound(arg!) : await run(arg!, rows ? Number(rows) : undefined);
process.stdout.write(`${JSON.stringify(result)}\n`);
