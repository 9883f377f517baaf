import { loadActivations } from "@ferry/schema";
import {
  activationYaml,
  ALL_WAREHOUSES,
  createOrders,
  createTempWarehouse,
  describeWarehouses,
  expectedSent,
  insertOrders,
  testdir,
  writeDbtShopManifest,
  type TempWarehouse,
  type WarehouseKind,
} from "@ferry/testkit";
import { createTikTokClient } from "@ferry/tiktok";
import { startSandbox } from "@ferry/tiktok-sandbox";
import { connect, type Warehouse } from "@ferry/warehouse";
import { afterEach, beforeEach, expect, it } from "vitest";
import { compile } from "../compile/compile.js";
import { run } from "./run.js";

const NOW = Date.now();

/** Where dbt would have built `pos_purchases` (alias fct_pos_purchases) on this warehouse. */
function marts(kind: WarehouseKind, temp: TempWarehouse): { database: string; schema: string } {
  // dbt-duckdb names the database after the file (its catalog), as DuckDB does.
  if (kind === "duckdb") return { database: "warehouse", schema: "analytics_marts" };
  const database = kind === "sqlite" ? "main" : new URL(temp.url).pathname.slice(1);
  // On MySQL a schema is a database; the temp warehouse drops those named after it.
  return { database, schema: kind === "postgres" ? "analytics_marts" : kind === "mysql" ? `${database}_marts` : "main" };
}

describeWarehouses(ALL_WAREHOUSES, (kind) => {
  let temp: TempWarehouse;
  let warehouse: Warehouse;
  beforeEach(async () => {
    temp = await createTempWarehouse(kind);
    warehouse = connect(temp.url);
    await createOrders(warehouse);
    await insertOrders(warehouse, 1, 200, NOW);
  });
  afterEach(async () => {
    await warehouse.close();
    await temp.drop();
  });

  it("reads a dbt model from the relation its manifest names, under its alias", async () => {
    const { database, schema } = marts(kind, temp);
    const q = (id: string) => (kind === "mysql" ? `\`${id}\`` : `"${id}"`);
    if (kind === "postgres" || kind === "duckdb") await warehouse.execute(`CREATE SCHEMA ${q(schema)}`);
    if (kind === "mysql") await warehouse.execute(`CREATE DATABASE ${q(schema)}`);
    const from = kind === "mysql" ? `${q(database)}.${q("orders")}` : q("orders");
    const view = kind === "sqlite" ? q("fct_pos_purchases") : `${q(schema)}.${q("fct_pos_purchases")}`;
    await warehouse.execute(`CREATE VIEW ${view} AS SELECT * FROM ${from}`);

    // The dbt-shop manifest, as dbt would have compiled it against this warehouse.
    const cwd = await testdir({
      "activations/ferry.yml": `version: 1\nwarehouses:\n  main:\n    url_env: WH\n    state_schema: ${temp.stateSchema}\ndefaults:\n  phone_default_region: FR\n`,
      "activations/pos.yml": activationYaml({ dbtModel: "pos_purchases", warehouse: "main", batchSize: 100 }),
    });
    await writeDbtShopManifest(cwd, { database, schema });

    const loaded = await loadActivations(["activations"], { cwd });
    expect(loaded.issues).toEqual([]);
    const plan = compile(loaded.activations[0]!, { WH: temp.url });
    expect(plan.source).toMatchObject({ kind: "dbt_model", text: "pos_purchases", relation: { schema, name: "fct_pos_purchases" } });
    // DuckDB reads across attached databases: the relation keeps dbt's database.
    expect(plan.sql?.text).toContain(`FROM ${kind === "duckdb" ? `${q(database)}.` : ""}${view} s`);

    const sandbox = await startSandbox();
    const tiktok = createTikTokClient({ baseUrl: sandbox.url, accessToken: sandbox.token, backoff: { baseMs: 1, maxMs: 10 } });
    try {
      const first = await run(plan, { warehouse, tiktok });
      expect(first).toMatchObject({ status: "success", counts: { read: 200, sent: expectedSent(1, 200) } });
      expect(sandbox.acceptedIds()).toHaveLength(expectedSent(1, 200));
      const again = await run(plan, { warehouse, tiktok });
      expect(again.counts).toMatchObject({ read: 0, sent: 0 });
    } finally {
      await tiktok.close();
      await sandbox.close();
    }
  });
});

it("refuses to compile a dbt model that no manifest resolved, saying how to fix it", async () => {
  const cwd = await testdir({
    "activations/ferry.yml": "version: 1\ndefaults:\n  phone_default_region: FR\n",
    "activations/pos.yml": activationYaml({ dbtModel: "pos_purchases" }),
  });
  const loaded = await loadActivations(["activations"], { cwd });
  expect(loaded.issues.map((i) => i.code)).toEqual(["no_dbt_manifest"]);
  expect(() => compile(loaded.activations[0]!)).toThrow(/needs the dbt manifest to run: run `dbt parse`/);
});
