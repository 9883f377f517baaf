import { all, madeUpAcks, ordersExtraction, seedOrders } from "@ferry/testkit/conformance";
import { createTempWarehouse, describeWarehouses, type TempWarehouse } from "@ferry/testkit/warehouses";
import { expect, it } from "vitest";
import { connect } from "../connect.js";
import type { Row, Warehouse } from "../contract.js";
import type { Extraction } from "../sql/extraction.js";
import { renderNewRowsSql } from "../sql/render.js";

// Pins PostgreSQL's optimisations (bench/FINDINGS.md#postgres-planner): what the planner is
// told and how the state is indexed. Behaviour does not depend on any of it.

async function withWarehouse(fn: (wh: Warehouse, temp: TempWarehouse) => Promise<void>): Promise<void> {
  const temp = await createTempWarehouse("postgres");
  const wh = connect(temp.url);
  try {
    await fn(wh, temp);
  } finally {
    await wh.close();
    await temp.drop();
  }
}

/** A segment that reports, in column `setting`, a PostgreSQL setting its statement runs under. */
const reporting = (temp: TempWarehouse, setting: string, from = "orders") =>
  ordersExtraction(temp, {
    source: { query: `select order_id, purchased_at, email, amount, current_setting('${setting}') AS setting from ${from}` },
    columns: ["purchased_at", "email", "amount", "setting"],
  });

const settingsSeen = async (wh: Warehouse, x: Extraction) => new Set((await all(wh.newRows(x))).map((r) => r.row["setting"]));

/** A setting changed for one transaction only: the pooled connections still have the server's. */
async function expectPoolKeeps(wh: Warehouse, setting: string, server: Row | undefined): Promise<void> {
  const after = await Promise.all([1, 2, 3, 4].map(() => wh.execute(`SHOW ${setting}`)));
  expect(after).toEqual(Array(4).fill([server]));
}

/** 15,000 orders the planner knows of, and the state's tables. */
async function analyzedOrders(wh: Warehouse, temp: TempWarehouse): Promise<void> {
  await seedOrders(wh, 15_000);
  await wh.execute("ANALYZE orders");
  await wh.state.ensure(temp.stateSchema);
}

describeWarehouses(["postgres"], () => {
  it("keeps the acknowledgement log with a hash index on the key, and no other", () =>
    withWarehouse(async (wh, temp) => {
      await wh.state.ensure(temp.stateSchema);
      const indexes = await wh.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = ? AND tablename = 'acked'", [temp.stateSchema]);
      expect(indexes.map((r) => r["indexdef"])).toEqual([expect.stringMatching(/USING hash \(pk_hash\)$/)]);
    }));

  it("looks the keys the probes missed up one by one only when asked", () =>
    withWarehouse(async (wh, temp) => {
      await seedOrders(wh, 30);
      await wh.state.ensure(temp.stateSchema);
      const plan = async (keysByIndex: boolean) =>
        JSON.stringify(
          await wh.execute(
            `EXPLAIN (FORMAT JSON) ${renderNewRowsSql(wh.dialect, ordersExtraction(temp), { kind: "byProbes", keysByIndex, parallel: false })}`,
          ),
        );
      expect(await plan(true)).toContain("SubPlan");
      expect(await plan(false)).not.toContain("SubPlan");
    }));

  it("refreshes the state's statistics from a small sample: row counts and each activation's share", () =>
    withWarehouse(async (wh, temp) => {
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
    withWarehouse(async (wh, temp) => {
      await analyzedOrders(wh, temp);
      const extraction = reporting(temp, "jit");
      const [server] = await wh.execute("SHOW jit");
      expect(await settingsSeen(wh, extraction)).toEqual(new Set([server!["jit"]]));
      // 60,000 keys of other rows acknowledged, and the planner told: not compiled.
      await wh.state.recordAcked(temp.stateSchema, "orders", "r1", madeUpAcks(0, 60_000));
      await wh.state.analyze(temp.stateSchema);
      expect(await settingsSeen(wh, extraction)).toEqual(new Set(["off"]));
      await expectPoolKeeps(wh, "jit", server);
    }));

  it("lets a rerun whose history covers its source anti-join in parallel, and only that one", () =>
    withWarehouse(async (wh, temp) => {
      await analyzedOrders(wh, temp);
      // Segments of 60,000 rows (four a seeded order), and of about a thousand.
      const wide = reporting(
        temp,
        "parallel_tuple_cost",
        "(select order_id * 4 + g AS order_id, purchased_at, email, amount from orders cross join generate_series(0, 3) g) o",
      );
      const narrow = reporting(temp, "parallel_tuple_cost", "orders where order_id <= 1000");
      const [server] = await wh.execute("SHOW parallel_tuple_cost");
      const initial = new Set([server!["parallel_tuple_cost"]]);
      expect(await settingsSeen(wh, wide)).toEqual(initial);
      // A large history, but smaller than the source: many rows may be new.
      await wh.state.recordAcked(temp.stateSchema, "orders", "r1", madeUpAcks(0, 50_000));
      await wh.state.analyze(temp.stateSchema);
      expect(await settingsSeen(wh, wide)).toEqual(initial);
      // As large as the source: few new rows expected, and the planner told so.
      await wh.state.recordAcked(temp.stateSchema, "orders", "r2", madeUpAcks(50_000, 10_000));
      await wh.state.analyze(temp.stateSchema);
      expect(await settingsSeen(wh, wide)).toEqual(new Set(["0.001"]));
      await expectPoolKeeps(wh, "parallel_tuple_cost", server);
      // Far larger than the source, which is then looked up by key: nothing to parallelise.
      expect(await settingsSeen(wh, narrow)).toEqual(initial);
      // Told so, the planner runs the probes' anti-join in parallel workers, which it cannot below a fence.
      const plan = async (parallel: boolean) =>
        JSON.stringify(
          await wh.execute(
            `SET LOCAL parallel_tuple_cost = 0.001; SET LOCAL parallel_setup_cost = 0; SET LOCAL min_parallel_table_scan_size = 0; SET LOCAL max_parallel_workers_per_gather = 2;
             EXPLAIN (FORMAT JSON) ${renderNewRowsSql(wh.dialect, ordersExtraction(temp), { kind: "byProbes", keysByIndex: true, parallel })}`,
          ),
        );
      expect(await plan(true)).toMatch(/"Parallel Aware":true,[^{}]*"Join Type":"Anti"/);
      expect(await plan(false)).not.toMatch(/"Parallel Aware":true,[^{}]*"Join Type":"Anti"/);
    }));
});
