import { all, allRows, hexKey, madeUpAcks, ordersExtraction as x, seedOrders } from "@ferry/testkit/conformance";
import { createTempWarehouse, describeWarehouses, type TempWarehouse } from "@ferry/testkit/warehouses";
import { expect, it } from "vitest";
import { connect } from "../connect.js";
import type { ConnectOptions, Warehouse } from "../contract.js";
import { renderNewRowsSql, type Strategy } from "../sql/render.js";

// PostgreSQL's own paths: rows and acknowledgements through COPY, strategies that must all find
// the same rows, and a connection that dies midway.

async function withWarehouse(fn: (wh: Warehouse, temp: TempWarehouse) => Promise<void>, options: ConnectOptions = {}): Promise<void> {
  const temp = await createTempWarehouse("postgres");
  const wh = connect(temp.url, options);
  try {
    await fn(wh, temp);
  } finally {
    await wh.close();
    await temp.drop();
  }
}

const STRATEGIES: Strategy[] = [
  { kind: "byKey" },
  { kind: "byProbes", keysByIndex: false, parallel: false },
  { kind: "byProbes", keysByIndex: true, parallel: false },
  { kind: "byProbes", keysByIndex: false, parallel: true },
  { kind: "byProbes", keysByIndex: true, parallel: true },
];

describeWarehouses(["postgres"], () => {
  it("finds the same new rows by every strategy, also keys whose probes no longer match", () =>
    withWarehouse(async (wh, temp) => {
      await seedOrders(wh, 30);
      await wh.state.ensure(temp.stateSchema);
      const rows = await all(wh.newRows(x(temp)));
      const acks = rows
        .slice(0, 20)
        .map((r) => ({ pkHash: r.key!, eventId: `e${String(r.row["order_id"])}`, eventTime: 1, probe: r.probe }));
      // Ten without probes: found by their SHA-256 alone.
      await wh.state.recordAcked(
        temp.stateSchema,
        "orders",
        "r1",
        acks.slice(0, 10).map((a) => ({ ...a, probe: undefined })),
      );
      await wh.state.recordAcked(temp.stateSchema, "orders", "r2", acks.slice(10));
      const found = async (strategy: Strategy) =>
        (await wh.execute(renderNewRowsSql(wh.dialect, x(temp), strategy))).map((r) => Number(r["order_id"])).sort((a, b) => a - b);
      const unsent = Array.from({ length: 10 }, (_, i) => 21 + i);
      for (const strategy of STRATEGIES) expect(await found(strategy)).toEqual(unsent);
      expect((await all(wh.newRows(x(temp)))).length).toBe(10);
      // Were the probe function ever to change, nothing acknowledged would be sent again.
      await wh.execute(`UPDATE ${temp.stateTable("acked")} SET probe_a = probe_a + 1`);
      for (const strategy of STRATEGIES) expect(await found(strategy)).toEqual(unsent);
    }));

  it("reads a fresh activation's rows without joins, each key hashed by Ferry exactly as PostgreSQL hashes it", () =>
    withWarehouse(async (wh, temp) => {
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
      // PostgreSQL's own SHA-256 of the same keys, by the query that joins with the state.
      const hashedThere = new Map(
        (await wh.execute(renderNewRowsSql(wh.dialect, extraction))).map((r) => [Number(r["n"]), r["__ferry_pk"]]),
      );
      const byN = (rows: Awaited<ReturnType<typeof all>>) => new Map(rows.map((r) => [Number(r.row["n"]), r.key]));
      const fresh = await all(wh.newRows(extraction));
      expect(byN(fresh)).toEqual(hashedThere);
      expect(hashedThere.get(7)).toBeNull();
      expect(new Set(hashedThere.values()).size).toBe(40);
      expect(byN(await all(wh.newRows(extraction, { fullRefresh: true })))).toEqual(hashedThere);
      // A rejection remembered, and the state is read again (joined): the same hashes.
      const [one] = fresh.filter((r) => r.key !== null);
      await wh.state.recordRejected(temp.stateSchema, "orders", "r1", [
        { pkHash: one!.key!, fingerprint: "f".repeat(43), reason: "invalid_email" },
      ]);
      const joined = await all(wh.newRows(extraction));
      expect(joined.filter((r) => r.remembered !== undefined).map((r) => r.row["n"])).toEqual([one!.row["n"]]);
      expect(byN(joined)).toEqual(hashedThere);
    }));

  it("records acknowledgements by COPY exactly as given, and refuses values that would shift its columns", () =>
    withWarehouse(async (wh, temp) => {
      await wh.state.ensure(temp.stateSchema);
      const good = { pkHash: "d".repeat(64), eventId: "acks:" + "d".repeat(32), eventTime: 1_764_000_000 };
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
    }));

  it("records a run's groups of acknowledgements through one reused buffer, each group exactly its own rows", () =>
    withWarehouse(async (wh, temp) => {
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

  it("reads rows through COPY exactly as the driver reads them: types, escapes, NULLs and characters split across chunks", () =>
    withWarehouse(async (wh) => {
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
      const viaCopy = await allRows(wh.streamQuery(sql));
      // The stream's session setting does not outlive it on the pooled connection.
      expect(await wh.execute("SHOW work_mem")).toEqual([memory]);
      expect(viaCopy).toEqual(await wh.execute(sql));
      expect(viaCopy).toHaveLength(3000);
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

  it("fails with a coded error, and keeps its pool working, when the query fails or the connection dies midway", () =>
    withWarehouse(
      async (wh, temp) => {
        await seedOrders(wh, 2500);
        await wh.state.ensure(temp.stateSchema);
        // Division by zero at order 2000, after the first chunks were read.
        const failing = x(temp, {
          source: { query: "select order_id, purchased_at, email, amount / (order_id - 2000) as amount from orders" },
        });
        const chunks: number[] = [];
        await expect(
          (async () => {
            for await (const chunk of wh.newRows(failing)) chunks.push(chunk.rows.length);
          })(),
        ).rejects.toMatchObject({ code: "query", message: expect.stringMatching(/division by zero/) });
        expect(chunks.length).toBeGreaterThan(0);
        // Rows too large to be sent ahead into the socket's buffers: the server is still sending.
        const marked = x(temp, {
          source: { query: "select order_id, purchased_at, repeat('x', 20000) as email, amount, 'ferry-kill-me' as marker from orders" },
        });
        const rows = wh.newRows(marked)[Symbol.asyncIterator]();
        expect((await rows.next()).value.rows).toHaveLength(500);
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
        for (let i = 0; i < 6; i++) expect(await wh.countNewRows(x(temp))).toBe(2500);
      },
      { chunkSize: 500 },
    ));

  it("tells apart keys that a non-deterministic collation calls equal", () =>
    withWarehouse(async (wh, temp) => {
      await wh.execute("CREATE COLLATION IF NOT EXISTS ferry_test_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)");
      await wh.execute("CREATE TABLE codes (code text COLLATE ferry_test_ci, purchased_at text, email text, amount numeric)");
      await wh.execute(
        "INSERT INTO codes VALUES ('ABC', '2025-11-20 10:00:00', 'a@example.com', 1), ('abc', '2025-11-20 10:00:00', 'b@example.com', 2)",
      );
      await wh.state.ensure(temp.stateSchema);
      const extraction = x(temp, { source: { table: "codes" }, primaryKey: ["code"] });
      const rows = await all(wh.newRows(extraction));
      expect(rows.map((r) => r.row["code"]).sort()).toEqual(["ABC", "abc"]);
      expect(new Set(rows.map((r) => r.probe)).size).toBe(2);
      const upper = rows.find((r) => r.row["code"] === "ABC")!;
      await wh.state.recordAcked(temp.stateSchema, "orders", "r1", [
        { pkHash: upper.key!, eventId: "e1", eventTime: 1, probe: upper.probe },
      ]);
      expect((await all(wh.newRows(extraction))).map((r) => r.row["code"])).toEqual(["abc"]);
    }));
});

it("never shows the password of a URL it cannot connect to", async () => {
  const wh = connect("postgres://postgres:hunter2@127.0.0.1:1/db");
  const error = await wh.execute("SELECT 1").catch((e: unknown) => e);
  await wh.close();
  expect(error).toMatchObject({ code: "connection" });
  expect(String((error as Error).message)).not.toContain("hunter2");
});
