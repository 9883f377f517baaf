import { exerciseSql, recorder } from "@ferry/testkit/recorded-sql";
import { parse } from "sql-parser-cst";
import { expect, it } from "vitest";
import { createWarehouse } from "../warehouse.js";
import { bigqueryConfig, bigqueryDriver, type BigQuerySession } from "./driver.js";

// BigQuery cannot be reached from CI: every statement the adapter would send is parsed here by
// sql-parser-cst's BigQuery grammar, a strict one (it refuses ON CONFLICT, INSERT IGNORE,
// OFFSET without LIMIT, USING hash). The conformance suite runs live with FERRY_TEST_BIGQUERY_URL.

async function recorded() {
  const r = recorder();
  const loads: string[] = [];
  const session: BigQuerySession = {
    query: async (sql) => r.rows(sql),
    change: async (sql) => r.changed(sql),
    stream: (sql) => {
      r.rows(sql);
      return Object.assign((async function* () {})(), { destroy() {} });
    },
    load: async (dataset, table, ndjson) => void loads.push(`${dataset}.${table}\n${ndjson}`),
    exists: async () => true,
  };
  const wh = createWarehouse(bigqueryDriver("bigquery://my-project/shop?location=EU", session));
  await exerciseSql(wh);
  return { statements: r.statements.flatMap((s) => s.split(";\n")), loads };
}

it("sends only SQL that BigQuery's grammar parses", async () => {
  const { statements } = await recorded();
  expect(statements.length).toBeGreaterThan(25);
  for (const sql of statements) {
    expect(() => parse(sql, { dialect: "bigquery", paramTypes: ["?"] }), sql).not.toThrow();
  }
});

it("writes state as BigQuery wants it: keys NOT ENFORCED, upserts by MERGE, acknowledgements by load job", async () => {
  const { statements, loads } = await recorded();
  const keyed = statements.filter((s) => s.includes("PRIMARY KEY"));
  expect(keyed).toHaveLength(3);
  expect(keyed.every((s) => s.includes("NOT ENFORCED"))).toBe(true);
  expect(statements.some((s) => /^MERGE INTO `ferry`\.`rejected`/.test(s))).toBe(true);
  expect(statements.some((s) => /^MERGE INTO `ferry`\.`locks`/.test(s))).toBe(true);
  expect(statements.some((s) => s.includes("CREATE SCHEMA IF NOT EXISTS `ferry` OPTIONS (location = 'EU')"))).toBe(true);
  // No acknowledgement goes through DML: a load job of newline-delimited JSON.
  expect(statements.some((s) => /INSERT INTO `ferry`\.`acked`/.test(s))).toBe(false);
  expect(loads).toHaveLength(1);
  expect(JSON.parse(loads[0]!.split("\n")[1]!)).toMatchObject({ activation: "orders", pk_hash: "a".repeat(64), event_id: "orders:1" });
});

it("refuses what BigQuery would refuse, so the check above can fail", () => {
  for (const sql of [
    "INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO NOTHING",
    "SELECT a FROM t OFFSET 0",
    "INSERT IGNORE INTO t (a) VALUES (1)",
  ]) {
    expect(() => parse(sql, { dialect: "bigquery", paramTypes: ["?"] })).toThrow();
  }
});

it("reads the project, default dataset and location from the URL", () => {
  expect(bigqueryConfig("bigquery://my-project/shop?location=EU")).toEqual({ projectId: "my-project", dataset: "shop", location: "EU" });
  expect(bigqueryConfig("bigquery://my-project")).toEqual({ projectId: "my-project", dataset: undefined, location: undefined });
});
