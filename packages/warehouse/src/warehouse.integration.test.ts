import { createHash } from "node:crypto";
import { ALL_WAREHOUSES, createTempWarehouse, describeWarehouses, type TempWarehouse } from "@ferry/testkit/warehouses";
import { afterEach, beforeEach, expect, it } from "vitest";
import { connect, type ConnectOptions, type Row, type Warehouse } from "./connect.js";
import { probeOf, qualifiedState, rememberedOf, renderNewRowsSql, type Extraction } from "./sql.js";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

/** The orders' extraction, keeping its state in the temporary warehouse's state schema. */
const x = (temp: Pick<TempWarehouse, "stateSchema">, over: Partial<Extraction> = {}): Extraction => ({
  activation: "orders",
  source: { query: "select order_id, purchased_at, email, amount from orders" },
  primaryKey: ["order_id"],
  columns: ["purchased_at", "email", "amount"],
  stateSchema: temp.stateSchema,
  ...over,
});

/** Orders 1..count, each with an email and an amount. */
async function seedOrders(wh: Warehouse, count: number): Promise<void> {
  await wh.execute(
    "CREATE TABLE orders (order_id INTEGER PRIMARY KEY, purchased_at VARCHAR(40), email VARCHAR(200), amount DECIMAL(10,2))",
  );
  const values = Array.from({ length: count }, (_, i) => `(${i + 1}, '2025-11-20 10:00:00', 'c${i}@example.com', ${i % 7}.50)`);
  await wh.execute(`INSERT INTO orders VALUES ${values.join(", ")}`);
}

/** A fresh warehouse of that kind for one test, dropped after it. */
async function withWarehouse(
  kind: TempWarehouse["kind"],
  fn: (wh: Warehouse, temp: TempWarehouse) => Promise<void>,
  options: ConnectOptions = {},
): Promise<void> {
  const temp = await createTempWarehouse(kind);
  const wh = connect(temp.url, options);
  try {
    await fn(wh, temp);
  } finally {
    await wh.close();
    await temp.drop();
  }
}

/** Key n as a SHA-256 would look: n in 64 hex digits. */
const hexKey = (n: number) => n.toString(16).padStart(64, "0");

/** `count` acknowledgements of made-up keys from `from` on: key n with event time n and probes n and minus its offset. */
const madeUpAcks = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({
    pkHash: hexKey(from + i),
    eventId: `orders:${from + i}`,
    eventTime: from + i,
    probe: `${from + i}/-${i}`,
  }));

/**
 * A segment that reports, in column `setting`, the value of a PostgreSQL setting its statement
 * runs under; over the orders, or over `from`.
 */
const reporting = (temp: Pick<TempWarehouse, "stateSchema">, setting: string, from = "orders") =>
  x(temp, {
    source: { query: `select order_id, purchased_at, email, amount, current_setting('${setting}') AS setting from ${from}` },
    columns: ["purchased_at", "email", "amount", "setting"],
  });

/** The values of the setting a segment of `reporting` saw, over its new rows. */
const settingsSeen = async (wh: Warehouse, extraction: Extraction) => new Set((await all(wh.newRows(extraction))).map((r) => r["setting"]));

/** A setting changed for one transaction only: the pooled connections still have the server's. */
async function expectPoolKeeps(wh: Warehouse, setting: string, server: Row | undefined): Promise<void> {
  const after = await Promise.all([1, 2, 3, 4].map(() => wh.execute(`SHOW ${setting}`)));
  expect(after).toEqual(Array(4).fill([server]));
}

/** 15,000 orders the planner knows of, and the state's tables: a source for planned-size choices. */
async function analyzedOrders(wh: Warehouse, temp: TempWarehouse): Promise<void> {
  await seedOrders(wh, 15_000);
  await wh.execute("ANALYZE orders");
  await wh.state.ensure(temp.stateSchema);
}

async function all(iterable: AsyncIterable<Row[]>): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const chunk of iterable) rows.push(...chunk);
  return rows;
}

describeWarehouses(ALL_WAREHOUSES, (kind) => {
  let temp: TempWarehouse;
  let wh: Warehouse;
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

  it("streams new rows in chunks, each with a primary-key hash equal across warehouses", async () => {
    const chunks: number[] = [];
    for await (const chunk of wh.newRows(x(temp))) chunks.push(chunk.length);
    expect(chunks).toEqual([1000, 1000, 500]);
    const [first] = await all(wh.newRows(x(temp, { source: { query: "select * from orders where order_id = 1" } })));
    // Same key, same hash, whatever the warehouse: event_ids do not depend on the driver.
    expect(first!["__ferry_pk"]).toBe(sha("1"));
    // PostgreSQL adds the key's probes, recorded with the acknowledgement; the others the
    // remembered rejection's reason and fingerprint (none here: PostgreSQL, which knows the
    // activation has no state yet, does not join with it).
    const extra = kind === "postgres" ? ["__ferry_pa", "__ferry_pb", "__ferry_pk"] : ["__ferry_pk", "__ferry_rf", "__ferry_rr"];
    expect(Object.keys(first!).sort()).toEqual([...extra, "amount", "email", "order_id", "purchased_at"]);
    expect(rememberedOf(first!)).toBeUndefined();
    if (kind === "postgres") expect(probeOf(first!)).toMatch(/^-?\d+\/-?\d+$/);
    else expect(probeOf(first!)).toBeUndefined();
    expect(await wh.countNewRows(x(temp))).toBe(2500);
  });

  it("reads a segment query with `?` in it as written: no placeholder inside literals, names or operators", async () => {
    // Drivers and knex take every `?` for a binding; PostgreSQL's knex client renumbered them
    // ('a?b' became 'a$1b'), MySQL's filled them with the activation, SQLite's miscounted them.
    const jsonb =
      kind === "postgres" ? `, ('{"vip": 1}'::jsonb ? 'vip') AS "vip?"` : `, 1 AS "vip?"`.replace(/"/g, kind === "mysql" ? "`" : '"');
    const query = `select order_id, purchased_at, 'who?' || '??' AS email${jsonb} from orders where order_id <= 2`;
    const source = { query: kind === "mysql" ? query.replace("'who?' || '??'", "CONCAT('who?', '??')") : query };
    const rows = await all(wh.newRows(x(temp, { source, columns: ["purchased_at", "email", "vip?"] })));
    expect(rows.map((r) => [Number(r["order_id"]), r["email"], Number(r["vip?"])])).toEqual([
      [1, "who???", 1],
      [2, "who???", 1],
    ]);
    expect(await wh.countNewRows(x(temp, { source, columns: ["email"] }))).toBe(2);
    // Without bindings, execute and streamQuery run SQL as written too; with them, `?` binds.
    expect(await wh.execute("SELECT 'a?b' AS v")).toEqual([{ v: "a?b" }]);
    expect(await all(wh.streamQuery("SELECT 'a?b' AS v"))).toEqual([{ v: "a?b" }]);
    expect(await wh.execute("SELECT ? AS v", ["bound"])).toEqual([{ v: "bound" }]);
  });

  it("anti-joins acknowledged rows in the warehouse and returns remembered rejections with their rows", async () => {
    const rows = await all(wh.newRows(x(temp)));
    expect(rows.every((r) => rememberedOf(r) === undefined)).toBe(true);
    const ack = rows
      .slice(0, 2000)
      .map((r) => ({ pkHash: String(r["__ferry_pk"]), eventId: `e${String(r["order_id"])}`, eventTime: 1, probe: probeOf(r) }));
    await wh.state.recordAcked(temp.stateSchema, "orders", "run-1", ack);
    const rejectedKeys = rows.slice(2000, 2010).map((r) => String(r["__ferry_pk"]));
    await wh.state.recordRejected(
      temp.stateSchema,
      "orders",
      "run-1",
      rejectedKeys.map((pkHash, i) => ({ pkHash, fingerprint: `${i}`.padEnd(43, "f"), reason: "invalid_email" })),
    );
    expect(await wh.countNewRows(x(temp))).toBe(500);
    expect(await wh.countNewRows(x(temp), { remembered: false })).toBe(490);
    expect(await wh.countNewRows(x(temp), { remembered: true })).toBe(10);
    // Each remembered row comes with its own rejection, for Ferry to tell whether it changed.
    const remembered = await all(wh.newRows(x(temp), { remembered: true }));
    expect(remembered.map((r) => [r["__ferry_pk"], rememberedOf(r)]).sort()).toEqual(
      rejectedKeys.map((k, i) => [k, { reason: "invalid_email", fingerprint: `${i}`.padEnd(43, "f") }]).sort(),
    );
    expect((await all(wh.newRows(x(temp), { remembered: false }))).every((r) => rememberedOf(r) === undefined)).toBe(true);
    // Another activation has its own state.
    expect(await wh.countNewRows(x(temp, { activation: "other" }))).toBe(2500);
    expect(await wh.countNewRows(x(temp, { activation: "other" }), { remembered: true })).toBe(0);
    // A full refresh reads everything, as never sent nor rejected.
    const everything = await all(wh.newRows(x(temp), { fullRefresh: true }));
    expect(everything).toHaveLength(2500);
    expect(everything.every((r) => rememberedOf(r) === undefined)).toBe(true);
  });

  it("yields a NULL key hash for rows with an empty key part", async () => {
    const rows = await all(
      wh.newRows(
        x(temp, {
          source: { query: "select order_id, purchased_at, email, amount, NULL as region from orders where order_id <= 2" },
          primaryKey: ["order_id", "region"],
        }),
      ),
    );
    expect(rows.map((r) => r["__ferry_pk"])).toEqual([null, null]);
  });

  it("keeps state counts and forgets them on reset, idempotently", async () => {
    const [row] = await all(wh.newRows(x(temp, { source: { query: "select * from orders where order_id = 5" } })));
    const acked = { pkHash: String(row!["__ferry_pk"]), eventId: "e5", eventTime: 1_764_000_000 };
    await wh.state.beginRun(temp.stateSchema, { runId: "r1", activation: "orders", startedAt: 1, dryRun: false });
    await wh.state.recordAcked(temp.stateSchema, "orders", "r1", [acked]);
    await wh.state.recordAcked(temp.stateSchema, "orders", "r1", [acked]);
    await wh.state.recordRejected(temp.stateSchema, "orders", "r1", [
      { pkHash: "a".repeat(64), fingerprint: "b".repeat(64), reason: "invalid_email" },
    ]);
    await wh.state.recordRejected(temp.stateSchema, "orders", "r1", [
      { pkHash: "a".repeat(64), fingerprint: "c".repeat(64), reason: "invalid_phone" },
    ]);
    await wh.state.finishRun(temp.stateSchema, "r1", "success", { sent: 1 });
    await wh.state.analyze(temp.stateSchema);
    await wh.state.ensure(temp.stateSchema);
    const summary = await wh.state.show(temp.stateSchema, "orders");
    expect(summary).toMatchObject({
      acked: 1,
      rejected: { invalid_phone: 1 },
      runs: [{ runId: "r1", status: "success", report: { sent: 1 } }],
    });
    expect(await wh.state.reset(temp.stateSchema, "orders")).toEqual({ acked: 1, rejected: 1, runs: 1 });
    expect(await wh.countNewRows(x(temp))).toBe(2500);
  });

  it("records acknowledgements as given, and refuses values that would shift its columns", async () => {
    const good = { pkHash: "d".repeat(64), eventId: "acks:" + "d".repeat(32), eventTime: 1_764_000_000 };
    await wh.state.recordAcked(temp.stateSchema, "acks", "r2", [good, { ...good, pkHash: "e".repeat(64) }]);
    // A batch holding one key already recorded still records the others.
    await wh.state.recordAcked(temp.stateSchema, "acks", "r2", [{ ...good, pkHash: "c".repeat(64) }, good]);
    // PostgreSQL receives the rows by COPY, in its text format (other warehouses bind each
    // value): a tab, a line break or a backslash in a value would shift the columns or be read
    // as an escape, so it is refused before anything is sent; nothing else in a value is read.
    if (kind === "postgres") {
      const hostile = [
        { ...good, pkHash: `${"f".repeat(31)}\t${"0".repeat(32)}` },
        { ...good, pkHash: "f".repeat(63) },
        { ...good, eventId: "acks:x\nacks:y" },
        { ...good, eventId: "acks:x\racks:y" },
        { ...good, eventId: "acks:x\\N" },
        { ...good, eventId: "" },
        { ...good, eventTime: 1.5 },
        { ...good, probe: "1\t2/3" },
      ];
      for (const row of hostile) {
        await expect(wh.state.recordAcked(temp.stateSchema, "acks", "r2", [good, row])).rejects.toThrow(/refusing to record/);
      }
      await expect(wh.state.recordAcked(temp.stateSchema, "acks", "r\\2", [good])).rejects.toThrow(/refusing to record/);
      const verbatim = { pkHash: `{"${"e".repeat(56)}",N,'}`, eventId: `acks:'}{"x,y;--`, eventTime: -1, probe: "-9223372036854775808/42" };
      await wh.state.recordAcked(temp.stateSchema, "verbatim", "r2", [verbatim, { ...verbatim, pkHash: "a".repeat(64) }]);
      expect(
        await wh.execute(
          `SELECT pk_hash, event_id, event_time, probe_a, probe_b FROM ${temp.stateTable("acked")} WHERE activation = 'verbatim' ORDER BY pk_hash`,
        ),
      ).toEqual([
        { pk_hash: "a".repeat(64), event_id: verbatim.eventId, event_time: "-1", probe_a: "-9223372036854775808", probe_b: "42" },
        { pk_hash: verbatim.pkHash, event_id: verbatim.eventId, event_time: "-1", probe_a: "-9223372036854775808", probe_b: "42" },
      ]);
    }
    expect((await wh.state.show(temp.stateSchema, "acks")).acked).toBe(3);
    await wh.state.reset(temp.stateSchema, "acks");
  });

  it("keeps one record a key after a full refresh, and counts keys, not records", async () => {
    const ack = (key: string) => ({ pkHash: key.repeat(64), eventId: `orders:${key.repeat(32)}`, eventTime: 1_764_000_000 });
    const records = async () =>
      Number(
        (
          await wh.execute(`SELECT COUNT(*) AS n FROM ${qualifiedState(wh.dialect, temp.stateSchema, "acked")} WHERE activation = ?`, [
            "orders",
          ])
        )[0]!["n"],
      );
    await wh.state.recordAcked(temp.stateSchema, "orders", "r1", [ack("1"), ack("2")]);
    await wh.state.recordAcked(temp.stateSchema, "other", "r1", [ack("1")]);
    // The full refresh records every key again, and the source repeats key 3.
    await wh.state.recordAcked(temp.stateSchema, "orders", "r2", [ack("1"), ack("2"), ack("3")]);
    await wh.state.recordAcked(temp.stateSchema, "orders", "r2", [ack("3")]);
    expect((await wh.state.show(temp.stateSchema, "orders")).acked).toBe(3);
    const forgotten = await wh.state.forgetSuperseded(temp.stateSchema, "orders", "r2");
    // PostgreSQL logged every record; elsewhere the primary key kept the first and ignored the rest.
    expect(forgotten).toBe(kind === "postgres" ? 3 : 0);
    expect(await records()).toBe(3);
    expect((await wh.state.show(temp.stateSchema, "other")).acked).toBe(1);
    expect(await wh.state.forgetSuperseded(temp.stateSchema, "orders", "r2")).toBe(0);
    expect(await wh.state.reset(temp.stateSchema, "orders")).toMatchObject({ acked: 3 });
  });

  it("makes the state tables once when several runs start together on a new warehouse", async () => {
    const others = Array.from({ length: 6 }, () => connect(temp.url));
    try {
      const schema = `${temp.stateSchema}_new`;
      await Promise.all(others.map((o) => o.state.ensure(schema)));
      expect((await others[0]!.state.show(schema, "orders")).acked).toBe(0);
    } finally {
      await Promise.all(others.map((o) => o.close()));
      // MySQL keeps the state schema as a database of the server: drop it.
      if (kind === "mysql") await wh.execute(`DROP DATABASE IF EXISTS \`${temp.stateSchema}_new\``);
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

  it("reports query errors as values with a code", async () => {
    await expect(all(wh.newRows(x(temp, { source: { table: "no_such_table" } })))).rejects.toMatchObject({ code: "query" });
  });

  it("gives its connection back when the reader stops after the first chunk", async () => {
    // More early stops than the pool (4) has connections: a leak would leave the last waiting.
    for (let i = 0; i < 6; i++) {
      for await (const chunk of wh.newRows(x(temp))) {
        expect(chunk).toHaveLength(1000);
        break;
      }
    }
    expect(await wh.countNewRows(x(temp))).toBe(2500);
  });
});

describeWarehouses(["postgres"], (kind) => {
  it("fails with a coded error, and keeps its pool working, when the query fails or the connection dies midway", () =>
    withWarehouse(
      kind,
      async (wh, temp) => {
        await seedOrders(wh, 2500);
        await wh.state.ensure(temp.stateSchema);
        const y = (over: Partial<Extraction> = {}) => x(temp, { stateSchema: temp.stateSchema, ...over });
        // Division by zero at order 2000, after the first chunks were read.
        const failing = y({ source: { query: "select order_id, purchased_at, email, amount / (order_id - 2000) as amount from orders" } });
        const chunks: number[] = [];
        await expect(
          (async () => {
            for await (const chunk of wh.newRows(failing)) chunks.push(chunk.length);
          })(),
        ).rejects.toMatchObject({ code: "query", message: expect.stringMatching(/division by zero/) });
        expect(chunks.length).toBeGreaterThan(0);

        // Rows too large to be sent ahead into the socket's buffers: the server is still sending.
        const marked = y({
          source: { query: "select order_id, purchased_at, repeat('x', 20000) as email, amount, 'ferry-kill-me' as marker from orders" },
        });
        const rows = wh.newRows(marked)[Symbol.asyncIterator]();
        expect((await rows.next()).value).toHaveLength(500);
        const killed = await wh.execute(
          "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE query LIKE '%ferry-kill-me%' AND pid <> pg_backend_pid()",
        );
        expect(killed).toEqual([{ ok: true }]);
        await expect(
          (async () => {
            for (;;) if ((await rows.next()).done) return;
          })(),
        ).rejects.toMatchObject({ code: expect.stringMatching(/^(connection|query)$/) });
        // The dead connection was not given back for reuse.
        for (let i = 0; i < 6; i++) expect(await wh.countNewRows(y())).toBe(2500);
      },
      { chunkSize: 500 },
    ));
});

describeWarehouses(["sqlite"], (kind) => {
  it("lets SQLite checkpoint the state it records while a run reads the new rows", () =>
    withWarehouse(
      kind,
      async (wh, temp) => {
        await seedOrders(wh, 50);
        await wh.state.ensure(temp.stateSchema);
        const extraction = { ...x(temp), stateSchema: temp.stateSchema };
        // Whether a checkpoint could copy the whole log back while the first chunk is out.
        const checkpointWhileReading = async (whileRecording: boolean) => {
          const reading = wh.newRows(extraction, { whileRecording })[Symbol.asyncIterator]();
          const first = await reading.next();
          await wh.state.recordAcked(temp.stateSchema, "orders", "r1", [
            { pkHash: String((first.value as Row[])[0]!["__ferry_pk"]), eventId: "orders:1", eventTime: 1 },
          ]);
          // PASSIVE: copies what no reader still needs, without waiting for readers.
          const [result] = await wh.execute("PRAGMA wal_checkpoint(PASSIVE)");
          await reading.return?.();
          return Number(result!["log"]) > 0 && Number(result!["checkpointed"]) === Number(result!["log"]);
        };
        // A preview's read holds its snapshot; a run's read has ended once its copy is made.
        expect(await checkpointWhileReading(false)).toBe(false);
        expect(await checkpointWhileReading(true)).toBe(true);
        expect((await all(wh.newRows(extraction, { whileRecording: true }))).length).toBe(48);
      },
      { chunkSize: 10 },
    ));
});

// State tables made before the acknowledgement log (acked keyed by activation and key) are kept
// and written as before.
describeWarehouses(["postgres"], (kind) => {
  it("writes acknowledgements to a table made by an earlier version, keyed by activation and key", () =>
    withWarehouse(kind, async (wh) => {
      await wh.execute("CREATE SCHEMA legacy");
      await wh.execute(
        `CREATE TABLE legacy.acked (activation varchar(128) NOT NULL, pk_hash varchar(64) NOT NULL, event_id varchar(200) NOT NULL,
         event_time bigint NOT NULL, run_id varchar(40) NOT NULL, acked_at bigint NOT NULL, PRIMARY KEY (activation, pk_hash))`,
      );
      await wh.state.ensure("legacy");
      const ack = (key: string) => ({
        pkHash: key.repeat(64),
        eventId: `orders:${key.repeat(32)}`,
        eventTime: 1_764_000_000 + Number(key),
        probe: key === "3" ? "12/-34" : undefined,
      });
      await wh.state.recordAcked("legacy", "orders", "r1", [ack("1"), ack("2")]);
      // The first batch meeting a recorded key is where the plain INSERT gives way to ON CONFLICT:
      // it still records the rest, and so do the batches after it.
      await wh.state.recordAcked("legacy", "orders", "r2", [ack("3"), ack("1")]);
      await wh.state.recordAcked("legacy", "orders", "r2", [ack("2"), ack("4")]);
      // That INSERT sends lists split on commas: a comma in a value, fine for COPY, is refused.
      await expect(wh.state.recordAcked("legacy", "orders", "r2", [ack("5"), { ...ack("6"), eventId: "orders:6,6" }])).rejects.toThrow(
        /refusing to record/,
      );
      // Those written after the switch keep every value: event id and time, and probes.
      expect(await wh.execute("SELECT pk_hash, event_id, event_time, probe_a, probe_b FROM legacy.acked ORDER BY pk_hash")).toEqual(
        ["1", "2", "3", "4"].map((k) => ({
          pk_hash: k.repeat(64),
          event_id: `orders:${k.repeat(32)}`,
          event_time: String(1_764_000_000 + Number(k)),
          probe_a: k === "3" ? "12" : null,
          probe_b: k === "3" ? "-34" : null,
        })),
      );
      expect(await wh.state.forgetSuperseded("legacy", "orders", "r2")).toBe(0);
      expect((await wh.state.show("legacy", "orders")).acked).toBe(4);
      // It was given the probe columns, and no index more; its rows have no probes.
      const columns = await wh.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'legacy' AND table_name = 'acked'",
      );
      expect(columns.map((r) => r["column_name"])).toEqual(expect.arrayContaining(["probe_a", "probe_b"]));
      const indexes = await wh.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = 'legacy' AND tablename = 'acked'");
      expect(indexes.map((r) => r["indexdef"])).toEqual([expect.stringContaining("(activation, pk_hash)")]);
    }));

  it("keeps a new acknowledgement log with a hash index on the key", () =>
    withWarehouse(kind, async (wh, temp) => {
      await wh.state.ensure(temp.stateSchema);
      const indexes = await wh.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = ? AND tablename = 'acked'", [temp.stateSchema]);
      expect(indexes.map((r) => r["indexdef"])).toEqual([expect.stringMatching(/USING hash \(pk_hash\)$/)]);
    }));

  it("knows keys acknowledged without probes, or with probes that no longer match, by their SHA-256", () =>
    withWarehouse(kind, async (wh, temp) => {
      await seedOrders(wh, 30);
      await wh.execute(`CREATE SCHEMA ${temp.stateSchema}`);
      await wh.execute(
        `CREATE TABLE ${temp.stateTable("acked")} (activation varchar(128) NOT NULL, pk_hash varchar(64) NOT NULL, event_id varchar(200) NOT NULL,
         event_time bigint NOT NULL, run_id varchar(40) NOT NULL, acked_at bigint NOT NULL)`,
      );
      await wh.state.ensure(temp.stateSchema);
      const rows = await all(wh.newRows(x(temp)));
      const ack = (r: Row, probe: boolean) => ({
        pkHash: String(r["__ferry_pk"]),
        eventId: `e${String(r["order_id"])}`,
        eventTime: 1,
        probe: probe ? probeOf(r) : undefined,
      });
      // 10 recorded by an earlier version (no probes), 10 with probes.
      await wh.state.recordAcked(
        temp.stateSchema,
        "orders",
        "r1",
        rows.slice(0, 10).map((r) => ack(r, false)),
      );
      await wh.state.recordAcked(
        temp.stateSchema,
        "orders",
        "r2",
        rows.slice(10, 20).map((r) => ack(r, true)),
      );
      expect(await wh.execute(`SELECT count(*)::int AS n FROM ${temp.stateTable("acked")} WHERE probe_a IS NULL`)).toEqual([{ n: 10 }]);
      // Every lookup, by probes (the keys they miss joined or looked up one by one) and by key
      // alone, finds the same rows.
      const fresh = async (options: { byKey?: boolean; keysByIndex?: boolean; parallel?: boolean }) => {
        return (await wh.execute(renderNewRowsSql(wh.dialect, x(temp), options))).map((r) => Number(r["order_id"])).sort((a, b) => a - b);
      };
      const unsent = Array.from({ length: 10 }, (_, i) => 21 + i);
      expect(await fresh({})).toEqual(unsent);
      expect(await fresh({ keysByIndex: true })).toEqual(unsent);
      expect(await fresh({ byKey: true })).toEqual(unsent);
      expect(await fresh({ parallel: true })).toEqual(unsent);
      expect(await fresh({ keysByIndex: true, parallel: true })).toEqual(unsent);
      expect((await all(wh.newRows(x(temp)))).length).toBe(10);
      // One by one: the planner keeps the lookup as a subplan instead of hashing the history.
      const plan = async (keysByIndex: boolean) =>
        JSON.stringify(await wh.execute(`EXPLAIN (FORMAT JSON) ${renderNewRowsSql(wh.dialect, x(temp), { keysByIndex })}`));
      expect(await plan(true)).toContain("SubPlan");
      expect(await plan(false)).not.toContain("SubPlan");
      // Were the probe function ever to change, nothing acknowledged would be sent again.
      await wh.execute(`UPDATE ${temp.stateTable("acked")} SET probe_a = probe_a + 1`);
      expect(await fresh({})).toEqual(unsent);
      expect(await fresh({ keysByIndex: true })).toEqual(unsent);
      expect(await fresh({ keysByIndex: true, parallel: true })).toEqual(unsent);
    }));

  it("reads a fresh activation's rows without joins, each key hashed by Ferry exactly as PostgreSQL hashes it", () =>
    withWarehouse(kind, async (wh, temp) => {
      // Key parts COPY escapes, characters of every UTF-8 length, a timestamp (text as the
      // session formats it), numbers, and a NULL part (a row without a key).
      await wh.execute(
        `CREATE TABLE awkward AS SELECT g AS n, CASE WHEN g = 7 THEN NULL ELSE 'k\t\\' || g || E'\n' || repeat('é€😀', g % 4) END AS code,
           timestamp '2025-11-20 10:00:00.5' + g * interval '1 hour' AS at, (g / 3.0)::numeric(8,3) AS amount,
           '2025-11-20 10:00:00' AS purchased_at, 'a@example.com' AS email
         FROM generate_series(1, 40) g`,
      );
      await wh.state.ensure(temp.stateSchema);
      const extraction = x(temp, {
        source: { table: "awkward" },
        primaryKey: ["code", "at", "amount"],
        columns: ["purchased_at", "email", "n"],
      });
      const byN = (rows: Row[]) => new Map(rows.map((r) => [Number(r["n"]), r["__ferry_pk"]]));
      // PostgreSQL's own SHA-256 of the same keys, by the query that joins with the state.
      const hashedThere = byN(await wh.execute(renderNewRowsSql(wh.dialect, extraction)));
      const fresh = await all(wh.newRows(extraction));
      // No join: no remembered rejection comes along, and the key's text is not passed on.
      expect(Object.keys(fresh[0]!)).not.toContain("__ferry_rr");
      expect(Object.keys(fresh[0]!)).not.toContain("__ferry_kt");
      expect(byN(fresh)).toEqual(hashedThere);
      expect(hashedThere.get(7)).toBeNull();
      expect(new Set(hashedThere.values()).size).toBe(40);
      expect(byN(await all(wh.newRows(extraction, { fullRefresh: true })))).toEqual(hashedThere);
      expect(await wh.countNewRows(extraction)).toBe(40);

      // A rejection remembered, or a key acknowledged, and the state is read again.
      const [one, two] = fresh.filter((r) => r["__ferry_pk"] !== null);
      await wh.state.recordRejected(temp.stateSchema, "orders", "r1", [
        { pkHash: String(one!["__ferry_pk"]), fingerprint: "f".repeat(43), reason: "invalid_email" },
      ]);
      const joined = await all(wh.newRows(extraction));
      expect(joined.filter((r) => rememberedOf(r) !== undefined).map((r) => r["n"])).toEqual([one!["n"]]);
      expect(byN(joined)).toEqual(hashedThere);
      await wh.state.reset(temp.stateSchema, "orders");
      await wh.state.recordAcked(temp.stateSchema, "orders", "r2", [
        { pkHash: String(two!["__ferry_pk"]), eventId: "e2", eventTime: 1, probe: probeOf(two!) },
      ]);
      expect((await all(wh.newRows(extraction))).map((r) => r["n"])).not.toContain(two!["n"]);
      expect(await wh.countNewRows(extraction)).toBe(39);
    }));

  it("records a run's groups of acknowledgements through one reused buffer, each group exactly its own rows", () =>
    withWarehouse(kind, async (wh, temp) => {
      await wh.state.ensure(temp.stateSchema);
      const log = wh.state.ackLog(temp.stateSchema, "orders", "r1");
      // A large group (past the first buffer's 2 MB), a small one after it (the rest of the
      // reused buffer must not go along), two batches in one group, and two flushes at once.
      log.add(madeUpAcks(0, 15_000));
      expect(await log.flush()).toBe(15_000);
      log.add(madeUpAcks(15_000, 10));
      expect(await log.flush()).toBe(10);
      log.add(madeUpAcks(15_010, 300));
      log.add(madeUpAcks(15_310, 700));
      const first = log.flush();
      log.add(madeUpAcks(16_010, 5));
      expect(await Promise.all([first, log.flush()])).toEqual([1000, 5]);
      expect(await log.flush()).toBe(0);
      const rows = await wh.execute(
        `SELECT pk_hash, event_id, event_time::int AS t, probe_a::int AS a, probe_b::int AS b FROM ${temp.stateTable("acked")} ORDER BY event_time`,
      );
      expect(rows).toHaveLength(16_015);
      expect(rows.every((r, i) => r["pk_hash"] === hexKey(i) && r["event_id"] === `orders:${i}` && r["t"] === i && r["a"] === i)).toBe(
        true,
      );
      expect([rows[15_000]!["b"], rows[15_010]!["b"], rows[15_310]!["b"], rows[16_014]!["b"]]).toEqual([0, 0, 0, -4]);
    }));

  it("refreshes the state's statistics from a small sample: row counts and each activation's share", () =>
    withWarehouse(kind, async (wh, temp) => {
      await wh.state.ensure(temp.stateSchema);
      await wh.state.recordAcked(temp.stateSchema, "orders", "r1", madeUpAcks(0, 20_000));
      await wh.state.recordAcked(temp.stateSchema, "returns", "r1", madeUpAcks(20_000, 5_000));
      const [server] = await wh.execute("SHOW default_statistics_target");
      await wh.state.analyze(temp.stateSchema);
      const [table] = await wh.execute("SELECT reltuples::int AS n FROM pg_class WHERE oid = ?::regclass", [temp.stateTable("acked")]);
      expect(table!["n"]).toBe(25_000);
      const stats = await wh.execute(
        "SELECT attname, most_common_vals::text AS mcv, most_common_freqs AS freqs, array_length(histogram_bounds::text::text[], 1) AS bounds FROM pg_stats WHERE schemaname = ? AND tablename = 'acked'",
        [temp.stateSchema],
      );
      const column = (name: string) => stats.find((s) => s["attname"] === name)!;
      expect(column("activation")["mcv"]).toBe("{orders,returns}");
      expect((column("activation")["freqs"] as number[])[0]).toBeCloseTo(0.8, 1);
      // A histogram of 26 bounds: the statistics target was 25 (PostgreSQL's default is 100).
      expect(column("probe_a")["bounds"]).toBe(26);
      await expectPoolKeeps(wh, "default_statistics_target", server);
    }));

  it("keeps PostgreSQL from compiling a rerun's query over a large history, and only that one", () =>
    withWarehouse(kind, async (wh, temp) => {
      // A source the planner knows is not much smaller than the history below.
      await analyzedOrders(wh, temp);
      const extraction = reporting(temp, "jit");
      const [server] = await wh.execute("SHOW jit");
      expect(await settingsSeen(wh, extraction)).toEqual(new Set([server!["jit"]]));
      // 60,000 keys of other rows acknowledged, and the planner told: the probes' misses are now
      // looked up by index, and the statement is not compiled.
      const history = madeUpAcks(0, 60_000);
      await wh.state.recordAcked(temp.stateSchema, "orders", "r1", history);
      await wh.state.analyze(temp.stateSchema);
      expect(await settingsSeen(wh, extraction)).toEqual(new Set(["off"]));
      // A setting of that transaction only: the pooled connections keep the server's.
      await expectPoolKeeps(wh, "jit", server);
    }));

  it("lets a rerun whose history covers its source anti-join in parallel, and only that one", () =>
    withWarehouse(kind, async (wh, temp) => {
      await analyzedOrders(wh, temp);
      // Segments of 60,000 rows (four a seeded order), and of about a thousand.
      const wide = reporting(
        temp,
        "parallel_tuple_cost",
        "(select order_id * 4 + g AS order_id, purchased_at, email, amount from orders cross join generate_series(0, 3) g) o",
      );
      const narrow = reporting(temp, "parallel_tuple_cost", "orders where order_id <= 1000");
      const [server] = await wh.execute("SHOW parallel_tuple_cost");
      const settings = (extraction: Extraction) => settingsSeen(wh, extraction);
      expect(await settings(wide)).toEqual(new Set([server!["parallel_tuple_cost"]]));
      // A large history, but smaller than the source: many rows may be new.
      await wh.state.recordAcked(temp.stateSchema, "orders", "r1", madeUpAcks(0, 50_000));
      await wh.state.analyze(temp.stateSchema);
      expect(await settings(wide)).toEqual(new Set([server!["parallel_tuple_cost"]]));
      // As large as the source: few new rows expected, and the planner told so.
      await wh.state.recordAcked(temp.stateSchema, "orders", "r2", madeUpAcks(50_000, 10_000));
      await wh.state.analyze(temp.stateSchema);
      expect(await settings(wide)).toEqual(new Set(["0.001"]));
      await expectPoolKeeps(wh, "parallel_tuple_cost", server);
      // Far larger than the source, which is then looked up by key, row by row: nothing to
      // parallelise.
      expect(await settings(narrow)).toEqual(new Set([server!["parallel_tuple_cost"]]));
      // Told so, the planner runs the probes' anti-join in parallel workers, which it cannot
      // below a fence (for tables this small, parallel setup and scans must be made cheap too).
      const plan = async (parallel: boolean) =>
        JSON.stringify(
          await wh.execute(
            `SET LOCAL parallel_tuple_cost = 0.001; SET LOCAL parallel_setup_cost = 0; SET LOCAL min_parallel_table_scan_size = 0; SET LOCAL max_parallel_workers_per_gather = 2;
             EXPLAIN (FORMAT JSON) ${renderNewRowsSql(wh.dialect, x(temp), { keysByIndex: true, parallel })}`,
          ),
        );
      expect(await plan(true)).toMatch(/"Parallel Aware":true,[^{}]*"Join Type":"Anti"/);
      expect(await plan(false)).not.toMatch(/"Parallel Aware":true,[^{}]*"Join Type":"Anti"/);
    }));

  it("reads rows through COPY exactly as the driver's cursor reads them: types, escapes, NULLs and characters split across chunks", () =>
    withWarehouse(kind, async (wh) => {
      // Values COPY's text format escapes (tab, line breaks, backslash, a literal \N), NULLs,
      // and multi-byte characters across enough data that chunks end inside them.
      const sql = `SELECT g AS id, g::bigint * 1000000007 AS big, (g % 7)::numeric / 3 AS num, g % 2 = 0 AS flag,
          (g * 0.25)::float8 AS f, timestamp '2025-11-20 10:00:00' + g * interval '1 second' AS at, date '2025-01-01' + g AS day,
          CASE WHEN g % 5 = 0 THEN NULL WHEN g % 5 = 1 THEN '' ELSE 'a\tb\nc\rd\\e\\N' || repeat('é€😀', g % 40) END AS text,
          '\\N' AS literal_n, jsonb_build_object('k', g, 'tab', E'x\ty') AS doc, decode(lpad(to_hex(g), 8, '0'), 'hex') AS bytes,
          ARRAY[g, g + 1] AS arr, NULL::text AS nothing, E'\\x01\x02' AS control,
          CASE WHEN g = 1500 THEN repeat('ž\\', 300000) END AS long
        FROM generate_series(1, 3000) g`;
      const [memory] = await wh.execute("SHOW work_mem");
      const viaCopy = await all(wh.streamQuery(sql));
      // The stream's session setting does not outlive it on the pooled connection.
      expect(await wh.execute("SHOW work_mem")).toEqual([memory]);
      const viaCursor = await all(wh.streamQuery(`SELECT * FROM (${sql}) q WHERE 1 = ?`, [1]));
      expect(viaCopy).toHaveLength(3000);
      expect(viaCopy).toEqual(viaCursor);
      expect(viaCopy[1]).toMatchObject({
        id: 2,
        big: "2000000014",
        num: "0.66666666666666666667",
        day: "2025-01-03",
        flag: true,
        text: `a\tb\nc\rd\\e\\N${"é€😀".repeat(2)}`,
        literal_n: "\\N",
        nothing: null,
      });
      expect(viaCopy[4]!["text"]).toBeNull();
      expect(viaCopy[0]!["text"]).toBe("");
      expect(Buffer.isBuffer(viaCopy[0]!["bytes"])).toBe(true);
      // A line of 900 kB, over many chunks of the stream.
      expect(viaCopy[1499]!["long"]).toBe("ž\\".repeat(300000));
    }));

  it("closes a COPY left early, and the pool goes on with fresh connections", () =>
    withWarehouse(
      kind,
      async (wh) => {
        const big = "SELECT g, repeat('x', 2000) AS pad FROM generate_series(1, 20000) g";
        for (let i = 0; i < 6; i++) {
          for await (const chunk of wh.streamQuery(big)) {
            expect(chunk).toHaveLength(100);
            break;
          }
        }
        // Six streams left mid-COPY on a pool of four: each connection was closed, not reused.
        const counts = await Promise.all([1, 2, 3, 4, 5].map(() => wh.execute("SELECT count(*)::int AS n FROM generate_series(1, 10)")));
        expect(counts).toEqual(Array(5).fill([{ n: 10 }]));
        const [open] = await wh.execute(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'COPY (%repeat%' AND state = 'active'",
        );
        expect(open).toEqual({ n: 0 });
      },
      { chunkSize: 100 },
    ));

  it("tells apart keys that a non-deterministic collation calls equal", () =>
    withWarehouse(kind, async (wh, temp) => {
      await wh.execute("CREATE COLLATION IF NOT EXISTS ferry_test_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)");
      await wh.execute("CREATE TABLE codes (code text COLLATE ferry_test_ci, purchased_at text, email text, amount numeric)");
      await wh.execute(
        "INSERT INTO codes VALUES ('ABC', '2025-11-20 10:00:00', 'a@example.com', 1), ('abc', '2025-11-20 10:00:00', 'b@example.com', 2)",
      );
      await wh.state.ensure(temp.stateSchema);
      const extraction = x(temp, { source: { table: "codes" }, primaryKey: ["code"] });
      const rows = await all(wh.newRows(extraction));
      expect(rows.map((r) => r["code"]).sort()).toEqual(["ABC", "abc"]);
      expect(new Set(rows.map(probeOf)).size).toBe(2);
      const upper = rows.find((r) => r["code"] === "ABC")!;
      await wh.state.recordAcked(temp.stateSchema, "orders", "r1", [
        { pkHash: String(upper["__ferry_pk"]), eventId: "e1", eventTime: 1, probe: probeOf(upper) },
      ]);
      expect((await all(wh.newRows(extraction))).map((r) => r["code"])).toEqual(["abc"]);
    }));
});

it("never shows the password of a URL it cannot connect to", async () => {
  const wh = connect("postgres://postgres:hunter2@127.0.0.1:1/db");
  const error = await wh.execute("SELECT 1").catch((e: unknown) => e);
  await wh.close();
  expect(error).toMatchObject({ code: "connection" });
  expect(String((error as Error).message)).not.toContain("hunter2");
});
