import { createHash } from "node:crypto";
import { connect, type Extraction, type Remembered, type Row, type RowChunk, type Warehouse } from "@ferry/warehouse";
import { afterEach, beforeEach, expect, it } from "vitest";
import { createTempWarehouse, type TempWarehouse, type WarehouseKind } from "./warehouses.js";

// The warehouse adapter conformance suite: what "supported" means. Every adapter runs it (see
// packages/warehouse/src/conformance.integration.test.ts, and the live suites of the cloud
// warehouses); adding a warehouse is writing its driver and passing this (CONTRIBUTING.md).

export const sha = (s: string): string => createHash("sha256").update(s).digest("hex");

/** A new row with what the warehouse knows of it. */
export interface NewRow {
  row: Row;
  key: string | null;
  probe: string | undefined;
  remembered: Remembered | undefined;
}

/** Every new row of a stream, flattened. */
export async function all(chunks: AsyncIterable<RowChunk>): Promise<NewRow[]> {
  const out: NewRow[] = [];
  for await (const c of chunks)
    c.rows.forEach((row, i) => out.push({ row, key: c.keys[i]!, probe: c.probes[i], remembered: c.remembered[i] }));
  return out;
}

export async function allRows(chunks: AsyncIterable<Row[]>): Promise<Row[]> {
  const out: Row[] = [];
  for await (const c of chunks) out.push(...c);
  return out;
}

/** The orders' extraction, keeping its state in the temporary warehouse's state schema. */
export const ordersExtraction = (temp: Pick<TempWarehouse, "stateSchema">, over: Partial<Extraction> = {}): Extraction => ({
  activation: "orders",
  source: { query: "select order_id, purchased_at, email, amount from orders" },
  primaryKey: ["order_id"],
  columns: ["purchased_at", "email", "amount"],
  stateSchema: temp.stateSchema,
  ...over,
});

/** Column types for a test table, as each warehouse spells them. */
export function columnTypes(wh: Warehouse) {
  const bigquery = wh.dialect.name === "bigquery";
  return {
    int: bigquery ? "INT64" : "INTEGER",
    text: (n: number) => (bigquery ? "STRING" : `VARCHAR(${n})`),
    decimal: (p: number, s: number) => (bigquery ? `NUMERIC(${p}, ${s})` : `DECIMAL(${p},${s})`),
    // A naive timestamp: DATETIME on MySQL and BigQuery, TIMESTAMP (without time zone) elsewhere.
    naive: wh.dialect.name === "mysql" || bigquery ? "DATETIME" : "TIMESTAMP",
    bigint: bigquery ? "INT64" : "BIGINT",
    primaryKey: bigquery ? "" : " PRIMARY KEY",
  };
}

/** Orders 1..count, each with an email and an amount. */
export async function seedOrders(wh: Warehouse, count: number, table = "orders"): Promise<void> {
  const t = columnTypes(wh);
  await wh.execute(
    `CREATE TABLE ${table} (order_id ${t.int}${t.primaryKey}, purchased_at ${t.text(40)}, email ${t.text(200)}, amount ${t.decimal(10, 2)})`,
  );
  const values = Array.from({ length: count }, (_, i) => `(${i + 1}, '2025-11-20 10:00:00', 'c${i}@example.com', ${i % 7}.50)`);
  for (let i = 0; i < values.length; i += 5000) await wh.execute(`INSERT INTO ${table} VALUES ${values.slice(i, i + 5000).join(", ")}`);
}

/** Key n as a SHA-256 would look: n in 64 hex digits. */
export const hexKey = (n: number): string => n.toString(16).padStart(64, "0");

/** `count` acknowledgements of made-up keys from `from` on: key n with event time n, probes n and minus its offset. */
export const madeUpAcks = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({
    pkHash: hexKey(from + i),
    eventId: `orders:${from + i}`,
    eventTime: from + i,
    probe: `${from + i}/-${i}`,
  }));

const acksOf = (rows: NewRow[]) =>
  rows.map((r) => ({ pkHash: r.key!, eventId: `orders:${String(r.row["order_id"])}`, eventTime: 1, probe: r.probe }));

/** The suite, for one kind of warehouse. */
export function warehouseConformance(kind: WarehouseKind): void {
  let temp: TempWarehouse;
  let wh: Warehouse;
  const x = (over: Partial<Extraction> = {}) => ordersExtraction(temp, over);
  beforeEach(async () => {
    temp = await createTempWarehouse(kind);
    wh = connect(temp.url, { chunkSize: 1000 });
    await seedOrders(wh, 2500);
    await wh.state.ensure(temp.stateSchema);
  });
  afterEach(async () => {
    await wh.close();
    await temp.drop();
  });

  it("streams new rows in chunks, the segment's columns only, each key hashed alike on every warehouse", async () => {
    const sizes: number[] = [];
    for await (const chunk of wh.newRows(x())) sizes.push(chunk.rows.length);
    expect(sizes).toEqual([1000, 1000, 500]);
    const [first] = await all(wh.newRows(x({ source: { query: "select * from orders where order_id = 1" } })));
    // Same key, same hash, whatever the warehouse: event_ids do not depend on the driver.
    expect(first!.key).toBe(sha("1"));
    expect(Object.keys(first!.row).sort()).toEqual(["amount", "email", "order_id", "purchased_at"]);
    expect(first!.remembered).toBeUndefined();
    if (wh.dialect.probes) expect(first!.probe).toMatch(/^-?\d+\/-?\d+$/);
    else expect(first!.probe).toBeUndefined();
    expect(await wh.countNewRows(x())).toBe(2500);
  });

  it("reads a segment query with `?` in it as written: no placeholder inside literals or names", async () => {
    const q = wh.dialect.quotePart;
    const email = kind === "mysql" ? "CONCAT('who?', '??')" : "'who?' || '??'";
    const source = { query: `select order_id, purchased_at, ${email} AS email, 1 AS ${q("vip?")} from orders where order_id <= 2` };
    const rows = await all(wh.newRows(x({ source, columns: ["purchased_at", "email", "vip?"] })));
    expect(rows.map((r) => [Number(r.row["order_id"]), r.row["email"], Number(r.row["vip?"])])).toEqual([
      [1, "who???", 1],
      [2, "who???", 1],
    ]);
    expect(await wh.countNewRows(x({ source, columns: ["email"] }))).toBe(2);
    // Without bindings, execute and streamQuery run SQL as written too; with them, `?` binds.
    expect(await wh.execute("SELECT 'a?b' AS v")).toEqual([{ v: "a?b" }]);
    expect(await allRows(wh.streamQuery("SELECT 'a?b' AS v"))).toEqual([{ v: "a?b" }]);
    expect(await wh.execute("SELECT ? AS v", ["bound"])).toEqual([{ v: "bound" }]);
  });

  it("anti-joins acknowledged rows in the warehouse and returns remembered rejections with their rows", async () => {
    const rows = await all(wh.newRows(x()));
    await wh.state.recordAcked(temp.stateSchema, "orders", "run-1", acksOf(rows.slice(0, 2000)));
    const rejectedKeys = rows.slice(2000, 2010).map((r) => r.key!);
    const fingerprint = (i: number) => `${i}`.padEnd(43, "f");
    await wh.state.recordRejected(
      temp.stateSchema,
      "orders",
      "run-1",
      rejectedKeys.map((pkHash, i) => ({ pkHash, fingerprint: fingerprint(i), reason: "invalid_email" })),
    );
    expect(await wh.countNewRows(x())).toBe(500);
    expect(await wh.countNewRows(x(), { remembered: false })).toBe(490);
    expect(await wh.countNewRows(x(), { remembered: true })).toBe(10);
    // Each remembered row comes with its own rejection, for Ferry to tell whether it changed.
    const remembered = await all(wh.newRows(x(), { remembered: true }));
    expect(remembered.map((r) => [r.key, r.remembered]).sort()).toEqual(
      rejectedKeys.map((k, i) => [k, { reason: "invalid_email", fingerprint: fingerprint(i) }]).sort(),
    );
    expect((await all(wh.newRows(x(), { remembered: false }))).every((r) => r.remembered === undefined)).toBe(true);
    // Another activation has its own state.
    expect(await wh.countNewRows(x({ activation: "other" }))).toBe(2500);
    expect(await wh.countNewRows(x({ activation: "other" }), { remembered: true })).toBe(0);
    // A full refresh reads everything, as never sent nor rejected.
    const everything = await all(wh.newRows(x(), { fullRefresh: true }));
    expect(everything).toHaveLength(2500);
    expect(everything.every((r) => r.remembered === undefined && r.key !== null)).toBe(true);
    // A rerun after the rest is acknowledged finds nothing; rejections of rows sent since are forgotten.
    await wh.state.recordAcked(temp.stateSchema, "orders", "run-2", acksOf(rows.slice(2000)));
    expect(await wh.countNewRows(x())).toBe(0);
    expect(await wh.state.pruneRejected(temp.stateSchema, "orders")).toBe(10);
  });

  it("loses nothing when a run stops between sending and recording: the rows are new again", async () => {
    const rows = await all(wh.newRows(x()));
    const log = wh.state.ackLog(temp.stateSchema, "orders", "crashed");
    log.add(acksOf(rows.slice(0, 1500)));
    expect(await log.flush()).toBe(1500);
    // Acknowledged by TikTok, kept, never flushed: the process died here.
    log.add(acksOf(rows.slice(1500)));
    await wh.close();
    wh = connect(temp.url);
    expect(await wh.countNewRows(x())).toBe(1000);
    expect((await wh.state.show(temp.stateSchema, "orders")).acked).toBe(1500);
  });

  it("yields a NULL key hash for rows with an empty key part", async () => {
    const source = { query: "select order_id, purchased_at, email, amount, NULL as region from orders where order_id <= 2" };
    const rows = await all(wh.newRows(x({ source, primaryKey: ["order_id", "region"] })));
    expect(rows.map((r) => r.key)).toEqual([null, null]);
  });

  it("hashes a composite key's parts with a separator, so ('1', '23') and ('12', '3') differ", async () => {
    const source = { query: "select order_id, purchased_at, email, amount, order_id * 10 AS part from orders where order_id in (1, 12)" };
    const rows = await all(wh.newRows(x({ source, primaryKey: ["order_id", "part"] })));
    expect(rows.map((r) => r.key).sort()).toEqual([sha("1\u001f10"), sha("12\u001f120")].sort());
  });

  it("reads timestamps, decimals and big integers without losing digits or shifting time zones", async () => {
    const t = columnTypes(wh);
    await wh.execute(
      `CREATE TABLE typed (id ${t.int}, purchased_at ${t.naive}, email ${t.text(50)}, amount ${t.decimal(14, 3)}, big ${t.bigint})`,
    );
    await wh.execute("INSERT INTO typed VALUES (1, '2025-11-20 10:00:00', 'a@example.com', 1234567890.125, 9007199254740993)");
    const [row] = await all(wh.newRows(x({ source: { table: "typed" }, primaryKey: ["id"], columns: ["purchased_at", "amount", "big"] })));
    // SQLite keeps what it was given by storage class: a REAL amount, a 64-bit integer as a number.
    if (kind === "sqlite") {
      expect(row!.row).toMatchObject({ purchased_at: "2025-11-20 10:00:00", amount: 1234567890.125 });
      return;
    }
    expect(row!.row).toMatchObject({ amount: expect.stringMatching(/^1234567890\.125?0*$/), big: "9007199254740993" });
    // Naive, as text the mapper reads as UTC: "2025-11-20 10:00:00", or with a T and fractions.
    expect(String(row!.row["purchased_at"])).toMatch(/^2025-11-20[ T]10:00:00(\.0+)?$/);
  });

  it("quotes hostile table and column names: quotes, spaces, case and SQL in them", async () => {
    const q = wh.dialect.quotePart;
    // BigQuery takes letters, digits, spaces and dashes in names, no quotes.
    const bigquery = kind === "bigquery";
    const table = bigquery ? "odd orders-1" : `odd "orders"; drop table orders`;
    const id = "Order Id";
    const mail = bigquery ? "e-mail" : `e"mail\``;
    const t = columnTypes(wh);
    await wh.execute(`CREATE TABLE ${q(table)} (${q(id)} ${t.int}, purchased_at ${t.text(40)}, ${q(mail)} ${t.text(50)})`);
    await wh.execute(`INSERT INTO ${q(table)} VALUES (7, '2025-11-20 10:00:00', 'a@example.com')`);
    const hostile = x({ source: { table }, primaryKey: [id], columns: ["purchased_at", mail] });
    const rows = await all(wh.newRows(hostile));
    expect(rows.map((r) => r.row)).toEqual([{ [id]: 7, purchased_at: "2025-11-20 10:00:00", [mail]: "a@example.com" }]);
    expect(rows[0]!.key).toBe(sha("7"));
    expect(await wh.countNewRows(x())).toBe(2500);
  });

  it("keeps state counts and forgets them on reset, idempotently", async () => {
    const [row] = await all(wh.newRows(x({ source: { query: "select * from orders where order_id = 5" } })));
    const acked = { pkHash: row!.key!, eventId: "e5", eventTime: 1_764_000_000 };
    await wh.state.beginRun(temp.stateSchema, { runId: "r1", activation: "orders", startedAt: 1, dryRun: false });
    await wh.state.recordAcked(temp.stateSchema, "orders", "r1", [acked]);
    await wh.state.recordAcked(temp.stateSchema, "orders", "r1", [acked]);
    await wh.state.recordRejected(temp.stateSchema, "orders", "r1", [
      { pkHash: "a".repeat(64), fingerprint: "b".repeat(64), reason: "invalid_email" },
    ]);
    await wh.state.recordRejected(temp.stateSchema, "orders", "r1", [
      { pkHash: "a".repeat(64), fingerprint: "c".repeat(64), reason: "invalid_phone", message: "x".repeat(600) },
    ]);
    await wh.state.finishRun(temp.stateSchema, "r1", "success", { sent: 1 });
    // A run still marked running when the next begins was interrupted.
    await wh.state.beginRun(temp.stateSchema, { runId: "r2", activation: "orders", startedAt: 2, dryRun: true });
    await wh.state.beginRun(temp.stateSchema, { runId: "r3", activation: "orders", startedAt: 3, dryRun: false });
    await wh.state.analyze(temp.stateSchema);
    await wh.state.ensure(temp.stateSchema);
    const summary = await wh.state.show(temp.stateSchema, "orders");
    expect(summary).toMatchObject({ acked: 1, rejected: { invalid_phone: 1 } });
    expect(summary.lastAckedAt).toBeGreaterThan(0);
    expect(summary.runs.map((r) => [r.runId, r.status])).toEqual([
      ["r3", "running"],
      ["r2", "interrupted"],
      ["r1", "success"],
    ]);
    expect(summary.runs[2]!.report).toEqual({ sent: 1 });
    const [rejection] = await wh.state.rejections(temp.stateSchema, "orders");
    expect(rejection).toMatchObject({ pkHash: "a".repeat(64), reason: "invalid_phone", message: "x".repeat(500) });
    expect(rejection!.firstSeenAt).toBeLessThanOrEqual(rejection!.lastSeenAt);
    expect(await wh.state.rejections(temp.stateSchema, "orders", { reason: "invalid_email" })).toEqual([]);
    expect(await wh.state.reset(temp.stateSchema, "orders")).toEqual({ acked: 1, rejected: 1, runs: 3 });
    expect(await wh.state.reset(temp.stateSchema, "orders")).toEqual({ acked: 0, rejected: 0, runs: 0 });
    expect(await wh.countNewRows(x())).toBe(2500);
  });

  it("remembers keyless rejections by fingerprint", async () => {
    await wh.state.recordRejected(temp.stateSchema, "orders", "r1", [
      { pkHash: "~abc", fingerprint: "abc", reason: "missing_primary_key" },
      { pkHash: "f".repeat(64), fingerprint: "def", reason: "invalid_email" },
    ]);
    expect(await wh.state.keylessRejections(temp.stateSchema, "orders")).toEqual(new Set(["abc"]));
  });

  it("keeps one record a key after a full refresh, and counts keys, not records", async () => {
    const ack = (key: string) => ({ pkHash: key.repeat(64), eventId: `orders:${key.repeat(32)}`, eventTime: 1_764_000_000 });
    await wh.state.recordAcked(temp.stateSchema, "orders", "r1", [ack("1"), ack("2")]);
    await wh.state.recordAcked(temp.stateSchema, "other", "r1", [ack("1")]);
    // The full refresh records every key again, and the source repeats key 3.
    await wh.state.recordAcked(temp.stateSchema, "orders", "r2", [ack("1"), ack("2"), ack("3")]);
    await wh.state.recordAcked(temp.stateSchema, "orders", "r2", [ack("3")]);
    expect((await wh.state.show(temp.stateSchema, "orders")).acked).toBe(3);
    await wh.state.forgetSuperseded(temp.stateSchema, "orders", "r2");
    const [records] = await wh.execute(`SELECT COUNT(DISTINCT run_id) AS runs FROM ${temp.stateTable("acked")} WHERE activation = ?`, [
      "orders",
    ]);
    // Only this run's records remain where the log keeps every record; a keyed table kept the first.
    expect(Number(records!["runs"])).toBe(wh.dialect.unkeyedLog ? 1 : 2);
    expect((await wh.state.show(temp.stateSchema, "other")).acked).toBe(1);
    expect(await wh.state.forgetSuperseded(temp.stateSchema, "orders", "r2")).toBe(0);
    expect(await wh.state.reset(temp.stateSchema, "orders")).toMatchObject({ acked: 3 });
  });

  it("makes the state tables once when several runs start together on a new warehouse", async () => {
    const others = Array.from({ length: 4 }, () => connect(temp.url));
    const schema = `${temp.stateSchema}_new`;
    try {
      expect(await others[0]!.state.exists(schema)).toBe(false);
      await Promise.all(others.map((o) => o.state.ensure(schema)));
      expect(await others[1]!.state.exists(schema)).toBe(true);
      expect((await others[0]!.state.show(schema, "orders")).acked).toBe(0);
    } finally {
      await Promise.all(others.map((o) => o.close()));
      // MySQL keeps the state schema as a database of the server: drop it.
      if (kind === "mysql") await wh.execute(`DROP DATABASE IF EXISTS \`${schema}\``);
    }
  });

  it("lets one run at a time hold an activation's lock", async () => {
    const other = connect(temp.url);
    try {
      await wh.withLock("orders", temp.stateSchema, async () => {
        await expect(other.withLock("orders", temp.stateSchema, async () => "second")).rejects.toMatchObject({ code: "lock_held" });
        // Other activations are not blocked.
        expect(await other.withLock("crm", temp.stateSchema, async () => "crm")).toBe("crm");
      });
      expect(await other.withLock("orders", temp.stateSchema, async () => "after")).toBe("after");
    } finally {
      await other.close();
    }
  });

  it("reports query errors as values with a code, naming no value", async () => {
    await expect(all(wh.newRows(x({ source: { table: "no_such_table" } })))).rejects.toMatchObject({ code: "query" });
    const error = await wh.execute("SELECT * FROM no_such_table WHERE email = 'secret@example.com'").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "query" });
  });

  it("gives its connection back when the reader stops after the first chunk", async () => {
    // More early stops than a pool (4) has connections: a leak would leave the last waiting.
    for (let i = 0; i < 6; i++) {
      for await (const chunk of wh.newRows(x())) {
        expect(chunk.rows.length).toBeGreaterThan(0);
        break;
      }
    }
    expect(await wh.countNewRows(x())).toBe(2500);
  });
}
