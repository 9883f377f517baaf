import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startSandbox, type Sandbox } from "@ferry/tiktok-sandbox";
import {
  activationYaml,
  ALL_WAREHOUSES,
  createOrders,
  createTempWarehouse,
  describeWarehouses,
  expectedSent,
  insertOrders,
  rawEmailOf,
  rawPhoneOf,
  SEED,
  seedNote,
  testdir,
  type TempWarehouse,
} from "@ferry/testkit";
import { connect, type Warehouse } from "@ferry/warehouse";
import { afterEach, beforeEach, expect, it } from "vitest";
import { runFerry } from "./testing.js";

const BIN = fileURLToPath(new URL("../bin/ferry.js", import.meta.url));
const NOW = Date.now();
const ROWS = 2000;

/** A project with one activation, "orders", reading the orders table in batches of 50, and the environment to run it. */
async function ordersProject(temp: TempWarehouse, sandbox: Sandbox): Promise<{ cwd: string; env: Record<string, string> }> {
  const cwd = await testdir({
    "activations/ferry.yml": `version: 1\nwarehouses:\n  main:\n    url_env: SHOP_WAREHOUSE_URL\n    state_schema: ${temp.stateSchema}\ndefaults:\n  phone_default_region: FR\n`,
    "activations/orders.yml": activationYaml({ name: "orders", warehouse: "main", query: "select * from orders", batchSize: 50 }),
  });
  const env = {
    SHOP_WAREHOUSE_URL: temp.url,
    TIKTOK_ACCESS_TOKEN: sandbox.token,
    TIKTOK_API_BASE_URL: sandbox.url,
    PATH: process.env["PATH"] ?? "",
  };
  return { cwd, env };
}

describeWarehouses(ALL_WAREHOUSES, (kind) => {
  let temp: TempWarehouse;
  let warehouse: Warehouse;
  let sandbox: Sandbox;
  let cwd: string;
  let env: Record<string, string>;
  let onTrack: () => void = () => {};

  beforeEach(async () => {
    temp = await createTempWarehouse(kind);
    warehouse = connect(temp.url);
    await createOrders(warehouse);
    await insertOrders(warehouse, 1, ROWS, NOW);
    sandbox = await startSandbox({ onTrack: () => onTrack() });
    ({ cwd, env } = await ordersProject(temp, sandbox));
  });
  afterEach(async () => {
    onTrack = () => {};
    await sandbox.close();
    await warehouse.close();
    await temp.drop();
  });

  it("plans without creating or writing anything, and plans every activation it can", async () => {
    await writeFile(
      path.join(cwd, "activations/broken.yml"),
      activationYaml({ name: "broken", warehouse: "main", query: "select * from no_such_table", eventSetId: "7100000000000000002" }),
    );
    const r = await runFerry(["plan", "--samples", "1"], { cwd, env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`new rows     ${ROWS.toLocaleString("en-US")} (no sync state readable yet: every row counts as new)`);
    expect(r.stdout).toMatch(
      /broken[^\n]*\n[\s\S]*error {8}.*no_such_table.*\(activations\/broken\.yml:10:10; warehouse "main", URL from \$SHOP_WAREHOUSE_URL\)/,
    );
    expect(r.stderr).toContain("1 of 2 activations could not be planned: broken (activations/broken.yml)");
    // Nothing was created: no state schema, no tables.
    expect(await warehouse.state.exists(temp.stateSchema)).toBe(false);
    if (kind !== "sqlite") {
      const schemas = await warehouse.execute("SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name = ?", [
        temp.stateSchema,
      ]);
      expect(schemas).toEqual([]);
    }
  });

  it("names the mapping field and its line when a mapped column is missing, not Ferry's SQL", async () => {
    await writeFile(
      path.join(cwd, "activations/orders.yml"),
      activationYaml({
        name: "orders",
        warehouse: "main",
        query: "select * from orders",
        mapping: { event_time: "purchased_at", email: "customer_mail", phone: "phone" },
      }),
    );
    const expected = 'mapping.email names column "customer_mail", which the source does not have (activations/orders.yml:15:10)';
    const plan = await runFerry(["plan"], { cwd, env });
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain(expected);
    const run = await runFerry(["run", "--format", "json"], { cwd, env });
    expect(run.code).toBe(1);
    const [report] = JSON.parse(run.stdout);
    expect(report.error).toMatchObject({ kind: "query", message: expected });
    expect(report.warnings[0].message).toBe(`A query on warehouse "main" failed: ${expected}`);
    expect(run.stdout).not.toMatch(/\bs\.customer_mail|__ferry/);
  });

  it.runIf(kind === "postgres")("plans with a role that may only SELECT the source", async () => {
    const role = `ferry_ro_${Math.random().toString(36).slice(2, 10)}`;
    await warehouse.execute(`CREATE ROLE ${role} LOGIN`);
    try {
      await warehouse.execute(`GRANT SELECT ON orders TO ${role}`);
      const url = new URL(temp.url);
      url.username = role;
      const readOnly = { ...env, SHOP_WAREHOUSE_URL: url.toString() };
      const before = await runFerry(["plan"], { cwd, env: readOnly });
      expect(before.code, before.stderr).toBe(0);
      expect(before.stdout).toContain("every row counts as new");
      // With the state readable, it counts only what is new.
      expect((await runFerry(["run"], { cwd, env })).code).toBe(0);
      await warehouse.execute(`GRANT USAGE ON SCHEMA ${temp.stateSchema} TO ${role}`);
      await warehouse.execute(`GRANT SELECT ON ALL TABLES IN SCHEMA ${temp.stateSchema} TO ${role}`);
      const after = await runFerry(["plan"], { cwd, env: readOnly });
      expect(after.code, after.stderr).toBe(0);
      expect(after.stdout).toContain("new rows     0\n");
    } finally {
      await warehouse.execute(`DROP OWNED BY ${role}`);
      await warehouse.execute(`DROP ROLE ${role}`);
    }
  });

  it.runIf(kind === "postgres")("says once what failed and what to do, naming the warehouse and its variable", async () => {
    const url = new URL(temp.url);
    const failure = async (change: (u: URL) => void) => {
      const u = new URL(url);
      change(u);
      const r = await runFerry(["run"], { cwd, env: { ...env, SHOP_WAREHOUSE_URL: u.toString() } });
      expect(r.code).toBe(1);
      return r.stdout;
    };
    const refused = await failure((u) => (u.port = "1"));
    expect(refused).toContain('error Ferry could not connect to warehouse "main"');
    expect(refused).toContain("$SHOP_WAREHOUSE_URL");
    expect(refused.match(/ECONNREFUSED/g)).toHaveLength(1);
    const stranger = await failure((u) => (u.username = "no_such_role_for_ferry"));
    expect(stranger).toContain('error Warehouse "main" refused the credentials');
    expect(stranger).toContain("Check the user and password in $SHOP_WAREHOUSE_URL");
    const role = `ferry_np_${Math.random().toString(36).slice(2, 10)}`;
    await warehouse.execute(`CREATE ROLE ${role} LOGIN`);
    try {
      const denied = await failure((u) => (u.username = role));
      expect(denied).toContain('error Warehouse "main" refused this role an operation');
      expect(denied).toContain('state schema "ferry"');
    } finally {
      await warehouse.execute(`DROP OWNED BY ${role}`);
      await warehouse.execute(`DROP ROLE ${role}`);
    }
  });

  it("lists the rows remembered as rejected, by key, reason and when, as a table, JSON or CSV", async () => {
    expect((await runFerry(["state", "rejected", "orders"], { cwd, env })).stdout).toBe("no rejected rows remembered\n");
    expect((await runFerry(["run"], { cwd, env })).code).toBe(0);
    const table = await runFerry(["state", "rejected", "orders", "--reason", "invalid_email"], { cwd, env });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^key +reason +first seen +last seen +TikTok's message\n/);
    expect(table.stdout).toMatch(/\norder_id=5 +invalid_email +\d{4}-\d\d-\d\dT/);
    expect(table.stdout).toContain(`${(ROWS / 10).toLocaleString("en-US")} rows\n`);
    // The rows a run rejects are the ones listed: no personal data, keys read back from the source.
    const json = JSON.parse((await runFerry(["state", "rejected", "orders", "--format", "json"], { cwd, env })).stdout) as {
      key: Record<string, string> | null;
      reason: string;
      inSource: boolean;
    }[];
    const state = await warehouse.state.show(temp.stateSchema, "orders");
    expect(json).toHaveLength(Object.values(state.rejected).reduce((a, b) => a + b, 0));
    expect(json.every((r) => r.key !== null && r.inSource)).toBe(true);
    expect(JSON.stringify(json).toLowerCase()).not.toContain("@example.com");
    // A row deleted upstream is still remembered, and says so.
    await warehouse.execute("DELETE FROM orders WHERE order_id = 5");
    const csv = (
      await runFerry(["state", "rejected", "orders", "--reason", "invalid_email", "--format", "csv"], { cwd, env })
    ).stdout.split("\n");
    expect(csv[0]).toBe("order_id,event_id,reason,message,first_seen,last_seen,in_source");
    expect(csv.find((l) => l.includes(",false"))).toMatch(/^,orders:[0-9a-f]{32},invalid_email,,\d{4}-/);
    const bad = await runFerry(["state", "rejected", "orders", "--reason", "invalid_emial"], { cwd, env });
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('--reason: no reason "invalid_emial" (did you mean "invalid_email"');
  });

  it("runs from the command line, prints a report, and sends nothing new the second time", async () => {
    const first = await runFerry(["run", "--format", "json"], { cwd, env });
    expect(first.code).toBe(0);
    const [report] = JSON.parse(first.stdout);
    expect(report).toMatchObject({ activation: "orders", status: "success", counts: { read: ROWS, sent: expectedSent(1, ROWS) } });
    const second = await runFerry(["run"], { cwd, env });
    expect(second.stdout).toMatch(/^⚠|^✔/);
    expect(second.stdout).toContain("orders: 0 sent, 0 rejected of 0 new rows");
    const plan = await runFerry(["plan", "--samples", "2"], { cwd, env });
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("new rows     0");
    const state = await runFerry(["state", "show", "orders"], { cwd, env });
    expect(state.stdout).toContain(`acknowledged  ${expectedSent(1, ROWS).toLocaleString("en-US")}`);
    // No personal data in anything the CLI printed.
    const printed = (first.stdout + first.stderr + second.stdout + plan.stdout + state.stdout).toLowerCase();
    for (let id = 1; id <= 50; id++) {
      expect(printed).not.toContain(rawEmailOf(id).toLowerCase());
      expect(printed).not.toContain(rawPhoneOf(id));
    }
    expect(printed).not.toContain(sandbox.token);
  });

  it(`survives SIGKILL at several points of a run, state never ahead of TikTok (${seedNote})`, async () => {
    const ackedTable = temp.stateTable("acked");
    // A connection of its own each time: DuckDB lets one process at a time open its file, and
    // the child is another process.
    const stateIds = async () => {
      const reader = connect(temp.url);
      try {
        return new Set((await reader.execute(`SELECT event_id FROM ${ackedTable}`)).map((r) => String(r["event_id"])));
      } finally {
        await reader.close();
      }
    };
    await warehouse.close();
    warehouse = connect(temp.url);
    // Kill points, in requests answered by the sandbox since the child started: early (during
    // extraction), and at seeded points mid-batch or between acknowledgement and state write.
    let state = SEED;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
    const killPoints = [1, 2 + (next() % 6), 2 + (next() % 6), 2 + (next() % 6)];
    for (const killAfter of killPoints) {
      const child = spawn(process.execPath, [BIN, "run", "--concurrency", "3"], { cwd, env, stdio: "ignore" });
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on("exit", (code, signal) => resolve(signal ?? code)));
      let tracked = 0;
      onTrack = () => {
        if (++tracked === killAfter) child.kill("SIGKILL");
      };
      const how = await exited;
      onTrack = () => {};
      // The child may have finished first on a late kill point: then there is nothing left to kill.
      expect(["SIGKILL", 0]).toContain(how);
      const accepted = new Set(sandbox.acceptedIds());
      for (const id of await stateIds()) expect(accepted.has(id), `state claims ${id}, which TikTok never acknowledged`).toBe(true);
    }
    expect(sandbox.stats().accepted).toBeLessThan(expectedSent(1, ROWS));

    const rerun = await runFerry(["run", "--format", "json"], { cwd, env });
    expect(rerun.code).toBe(0);
    const ids = sandbox.acceptedIds();
    expect(ids).toHaveLength(expectedSent(1, ROWS));
    expect(new Set(ids).size).toBe(ids.length);
    expect(await stateIds()).toEqual(new Set(ids));
    const shown = JSON.parse((await runFerry(["state", "show", "orders", "--format", "json"], { cwd, env })).stdout);
    expect(shown.runs.map((r: { status: string }) => r.status)).toEqual(["success", ...killPoints.map(() => "interrupted")]);
  });
});

it("refuses to run with a configuration error, naming file and line", async () => {
  const cwd = await testdir({ "activations/a.yml": activationYaml().replace("event: CompletePayment", "event: Purchse") });
  const r = await runFerry(["run"], { cwd, env: { FERRY_WAREHOUSE_URL: "sqlite:./x.db" } });
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("activations/a.yml:11:8 error event: not one of TikTok's accepted event names");
  expect(r.stderr).toContain("nothing was run");
});

it("names the missing environment variable, never a value", async () => {
  const cwd = await testdir({ "activations/a.yml": activationYaml({ query: "select 1" }) });
  const r = await runFerry(["run", "--format", "json"], { cwd, env: { TIKTOK_ACCESS_TOKEN: "tok-secret-value" } });
  expect(r.code).toBe(1);
  expect(JSON.parse(r.stdout)[0].error.message).toContain('the environment variable FERRY_WAREHOUSE_URL (warehouse "default") is not set');
  expect(r.stdout + r.stderr).not.toContain("tok-secret-value");
});

it("asks for confirmation before a full refresh", async () => {
  const cwd = await testdir({ "activations/a.yml": activationYaml() });
  const r = await runFerry(["run", "--full-refresh"], { cwd, env: {} });
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("48 hours");
  expect(r.stderr).toContain("--yes");
});

it("runs in a worker thread that stops gracefully on SIGTERM: batches in flight are recorded, and the exit code says so", async () => {
  const temp = await createTempWarehouse("sqlite");
  const warehouse = connect(temp.url);
  // 40 requests, 4 at a time, 200 ms each: the signal, sent when the first is answered, arrives
  // with batches in flight and most of the run ahead.
  let answered!: () => void;
  const firstAnswer = new Promise<void>((resolve) => (answered = resolve));
  const sandbox = await startSandbox({ faults: { latencyMs: 200 }, onTrack: () => answered() });
  try {
    await createOrders(warehouse);
    await insertOrders(warehouse, 1, ROWS, NOW);
    const { cwd, env } = await ordersProject(temp, sandbox);
    const child = spawn(process.execPath, [BIN, "run", "--format", "json"], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    // The signal goes to the process, whose main thread relays it to the worker running the command.
    await firstAnswer;
    child.kill("SIGTERM");
    expect(await exited).toBe(130);
    expect(stderr).toContain("stopping after the batches in flight");
    const [report] = JSON.parse(stdout);
    expect(report).toMatchObject({ activation: "orders", status: "cancelled" });
    expect(report.counts.sent).toBeGreaterThan(0);
    expect(report.counts.sent).toBeLessThan(expectedSent(1, ROWS));
    // What the worker recorded is exactly what TikTok acknowledged.
    const acked = await warehouse.execute(`SELECT event_id FROM ${temp.stateTable("acked")}`);
    expect(new Set(acked.map((r) => String(r["event_id"])))).toEqual(new Set(sandbox.acceptedIds()));
  } finally {
    await sandbox.close();
    await warehouse.close();
    await temp.drop();
  }
});

it("exits 130, naming what did not run, when stopped before a run starts", async () => {
  const cwd = await testdir({
    "activations/ferry.yml": "version: 1\ndefaults:\n  phone_default_region: FR\n",
    "activations/a.yml": activationYaml({ name: "a" }),
    "activations/b.yml": activationYaml({ name: "b", eventSetId: "7100000000000000002" }),
  });
  const controller = new AbortController();
  controller.abort();
  const r = await runFerry(["run"], { cwd, env: {}, signal: controller.signal });
  expect(r.code).toBe(130);
  expect(r.stderr).toBe("stopped: a, b did not run\n");
});

it("calls a mistyped --only name a usage error and suggests the names meant", async () => {
  const cwd = await testdir({
    "activations/ferry.yml": "version: 1\ndefaults:\n  phone_default_region: FR\n",
    "activations/a.yml": activationYaml({ name: "pos-purchases" }),
    "activations/b.yml": activationYaml({ name: "crm-leads", eventSetId: "7100000000000000002" }),
  });
  const r = await runFerry(["run", "--only", "pos-purchase,crm-leads"], { cwd, env: {} });
  expect(r.code).toBe(64);
  expect(r.stderr).toContain(
    '--only: no activation named "pos-purchase" (did you mean "pos-purchases"?) in activations; the activations are',
  );
  const bad = await runFerry(["run", "--concurrency", "lots"], { cwd, env: {} });
  expect(bad.code).toBe(64);
  expect(bad.stderr).toContain("--concurrency takes a whole number from 1 to 32");
});

it("takes --concurrency to TikTok's connections: more than four requests in flight when asked", async () => {
  const temp = await createTempWarehouse("sqlite");
  const warehouse = connect(temp.url);
  const sandbox = await startSandbox({ faults: { latencyMs: 40 } });
  try {
    await createOrders(warehouse);
    await insertOrders(warehouse, 1, ROWS, NOW);
    const { cwd, env } = await ordersProject(temp, sandbox);
    const r = await runFerry(["run", "--concurrency", "8"], { cwd, env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(sandbox.stats().peakInFlight).toBeGreaterThan(4);
    expect(sandbox.stats().peakInFlight).toBeLessThanOrEqual(8);
  } finally {
    await sandbox.close();
    await warehouse.close();
    await temp.drop();
  }
});
