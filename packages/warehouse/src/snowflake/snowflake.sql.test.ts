import { Dialect, init, parse } from "@polyglot-sql/sdk";
import { exerciseSql, recorder } from "@ferry/testkit/recorded-sql";
import { beforeAll, expect, it } from "vitest";
import { createWarehouse } from "../warehouse.js";
import { snowflakeConfig, snowflakeDriver, type SnowflakeSession } from "./driver.js";

// Snowflake cannot be reached from CI: every statement the adapter would send is parsed here
// by polyglot-sql's Snowflake dialect (a port of sqlglot). That parser is lenient about other
// dialects' clauses, so those are refused by name below. The conformance suite runs live with
// FERRY_TEST_SNOWFLAKE_URL.

beforeAll(() => init());

async function recorded() {
  const r = recorder();
  const bulk: unknown[][] = [];
  const session: SnowflakeSession = {
    execute: async (sql, binds) => {
      if (Array.isArray(binds[0])) bulk.push(binds as unknown[]);
      return /^(SELECT|WITH)/i.test(sql.trim()) ? r.rows(sql) : (r.changed(sql), [{ "number of rows inserted": 1 }]);
    },
    stream: async (sql) => {
      r.rows(sql);
      return Object.assign((async function* () {})(), { destroy() {} });
    },
    close: async () => {},
  };
  const wh = createWarehouse(snowflakeDriver("snowflake://ferry@acme-xy12345/ANALYTICS/PUBLIC?warehouse=WH", session));
  await exerciseSql(wh);
  return { statements: r.statements.flatMap((s) => s.split(";\n")), bulk };
}

it("sends only SQL that a Snowflake grammar parses, and none of other dialects' clauses", async () => {
  const { statements } = await recorded();
  expect(statements.length).toBeGreaterThan(25);
  for (const sql of statements) {
    const result = parse(sql, Dialect.Snowflake);
    expect(result.success, `${sql}\n${result.error ?? ""}`).toBe(true);
    expect(sql).not.toMatch(/ON CONFLICT|INSERT IGNORE|ON DUPLICATE KEY|USING hash|OFFSET 0|ctid|`|CREATE INDEX|hashtextextended/);
  }
});

it("writes state as Snowflake wants it: upserts and lock claims by MERGE, acknowledgements by array binding", async () => {
  const { statements, bulk } = await recorded();
  expect(statements.some((s) => /^MERGE INTO "ferry"\."rejected"/.test(s))).toBe(true);
  expect(statements.some((s) => /^MERGE INTO "ferry"\."locks"/.test(s))).toBe(true);
  // One row of placeholders, the rows bound as an array: the driver stages a large one.
  expect(statements).toContain(
    `INSERT INTO "ferry"."acked" (activation, pk_hash, event_id, event_time, run_id, acked_at) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  expect(bulk).toContainEqual([["orders", "a".repeat(64), "orders:1", 1, expect.any(String), expect.any(Number)]]);
});

it("takes secrets from the environment variables the URL names, never from a file", () => {
  const env = { SF_KEY: "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----", SF_PASSWORD: "hunter2" };
  expect(snowflakeConfig("snowflake://ferry@acme/DB/SCHEMA?warehouse=WH&role=LOADER&private_key_env=SF_KEY", env)).toMatchObject({
    account: "acme",
    username: "ferry",
    authenticator: "SNOWFLAKE_JWT",
    privateKey: env.SF_KEY,
    database: "DB",
    schema: "SCHEMA",
    warehouse: "WH",
    role: "LOADER",
  });
  expect(snowflakeConfig("snowflake://ferry@acme/DB?password_env=SF_PASSWORD", env)).toMatchObject({ password: "hunter2" });
  expect(() => snowflakeConfig("snowflake://ferry@acme/DB?password_env=SF_MISSING", env)).toThrow(/\$SF_MISSING, which is not set/);
});
