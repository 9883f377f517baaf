import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect, DIALECTS, qualifiedState, type Warehouse } from "@ferry/warehouse";
import { describe, it } from "vitest";

export type WarehouseKind = "sqlite" | "postgres" | "mysql" | "duckdb" | CloudKind;
/** Warehouses CI cannot reach: their suites run live when the variable holding their URL is set. */
export type CloudKind = "bigquery" | "snowflake";
export const CLOUD_WAREHOUSES: CloudKind[] = ["bigquery", "snowflake"];
const CLOUD_URLS: Record<CloudKind, string> = { bigquery: "FERRY_TEST_BIGQUERY_URL", snowflake: "FERRY_TEST_SNOWFLAKE_URL" };
const cloud = (kind: WarehouseKind): kind is CloudKind => kind in CLOUD_URLS;
/** Every warehouse the conformance suite runs on in CI. */
export const ALL_WAREHOUSES: WarehouseKind[] = ["sqlite", "postgres", "mysql", "duckdb"];
/** Embedded warehouses: a file of a temporary directory, nothing to reach. */
const EMBEDDED = { sqlite: "sqlite:", duckdb: "duckdb:" } as const;
const embedded = (kind: WarehouseKind): kind is keyof typeof EMBEDDED => kind in EMBEDDED;

const SERVER_URLS = {
  postgres: () => process.env["FERRY_TEST_POSTGRES_URL"] ?? "postgres://postgres@127.0.0.1:5432/test",
  mysql: () => process.env["FERRY_TEST_MYSQL_URL"] ?? "mysql://root@127.0.0.1:3306/test",
};

const admins = new Map<string, Promise<Warehouse | Error>>();

/** One administrative connection per server per test process; an Error when unreachable. */
function admin(kind: "postgres" | "mysql"): Promise<Warehouse | Error> {
  let cached = admins.get(kind);
  if (!cached) {
    cached = (async () => {
      const warehouse = connect(SERVER_URLS[kind]());
      try {
        await warehouse.execute("SELECT 1");
        return warehouse;
      } catch (error) {
        await warehouse.close();
        return error as Error;
      }
    })();
    admins.set(kind, cached);
  }
  return cached;
}

export interface TempWarehouse {
  kind: WarehouseKind;
  url: string;
  /**
   * A state schema private to this warehouse: on MySQL a schema is a database of the whole
   * server, so a fixed name would share sync state between tests.
   */
  stateSchema: string;
  /** A state table's quoted name as the warehouse's SQL reads it (`"ferry_acked"` on SQLite, which has no schemas). */
  stateTable(table: "acked" | "rejected" | "runs"): string;
  drop(): Promise<void>;
}

/**
 * A fresh dataset (BigQuery) or schema (Snowflake) of the warehouse the variable names, the
 * segment's tables in it and the state in another; both dropped after.
 */
async function createCloudWarehouse(kind: CloudKind): Promise<TempWarehouse> {
  const base = process.env[CLOUD_URLS[kind]]!;
  const admin = connect(base);
  const name = `ferry_t_${randomBytes(6).toString("hex")}`;
  const stateSchema = `${name}_state`;
  const dialect = DIALECTS[kind];
  // Snowflake folds the unquoted name the URL gives as the connection's schema.
  const sourceSchema = kind === "snowflake" ? name.toUpperCase() : name;
  await admin.execute(`CREATE SCHEMA ${dialect.quotePart(sourceSchema)}`);
  const url = new URL(base);
  const parts = url.pathname.split("/").filter(Boolean);
  // bigquery://project/<dataset>; snowflake://user@account/<database>/<schema>
  url.pathname = `/${kind === "bigquery" ? sourceSchema : `${parts[0]}/${sourceSchema}`}`;
  return {
    kind,
    url: url.toString(),
    stateSchema,
    stateTable: (table) => qualifiedState(dialect, stateSchema, table),
    drop: async () => {
      for (const schema of [sourceSchema, stateSchema, `${stateSchema}_new`]) {
        await admin.execute(`DROP SCHEMA IF EXISTS ${dialect.quotePart(schema)} CASCADE`);
      }
      await admin.close();
    },
  };
}

/** A fresh, empty warehouse: a SQLite or DuckDB file, a new database on the PostgreSQL/MariaDB server, or a cloud one's new schema. */
export async function createTempWarehouse(kind: WarehouseKind): Promise<TempWarehouse> {
  if (cloud(kind)) return createCloudWarehouse(kind);
  if (embedded(kind)) {
    const dir = await mkdtemp(path.join(tmpdir(), "ferry-wh-"));
    return {
      kind,
      url: `${EMBEDDED[kind]}${path.join(dir, `warehouse.${kind === "sqlite" ? "db" : "duckdb"}`)}`,
      stateSchema: "ferry",
      stateTable: (table) => qualifiedState(DIALECTS[kind], "ferry", table),
      drop: () => rm(dir, { recursive: true, force: true }),
    };
  }
  const server = await admin(kind);
  if (server instanceof Error) throw server;
  const name = `ferry_t_${randomBytes(6).toString("hex")}`;
  const quoted = kind === "postgres" ? `"${name}"` : `\`${name}\``;
  await server.execute(`CREATE DATABASE ${quoted}`);
  const base = new URL(SERVER_URLS[kind]());
  base.pathname = `/${name}`;
  const stateSchema = kind === "mysql" ? `${name}_state` : "ferry";
  return {
    kind,
    url: base.toString(),
    stateSchema,
    stateTable: (table) => qualifiedState(DIALECTS[kind], stateSchema, table),
    drop: async () => {
      await server.execute(kind === "postgres" ? `DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)` : `DROP DATABASE IF EXISTS ${quoted}`);
      // MySQL keeps Ferry's state in a database of its own (the state schema); drop those too.
      if (kind === "mysql") {
        const rows = await server.execute("SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name LIKE ?", [
          `${name}%`,
        ]);
        for (const row of rows) await server.execute(`DROP DATABASE IF EXISTS \`${String(row["name"])}\``);
      }
    },
  };
}

/**
 * Declares a suite once per warehouse kind (the kysely/knex loop). A server that cannot be
 * reached skips its suite locally and fails it under CI=true, so CI never passes by skipping.
 */
export function describeWarehouses(kinds: readonly WarehouseKind[], suite: (kind: WarehouseKind) => void): void {
  for (const kind of kinds) {
    describe(kind, async () => {
      if (cloud(kind)) {
        // Never faked: without credentials the live suite is skipped, also in CI (README, Warehouses).
        if (process.env[CLOUD_URLS[kind]]) suite(kind);
        else it.skip(`${kind}: set ${CLOUD_URLS[kind]} to run this suite live`, () => {});
        return;
      }
      const reachable = embedded(kind) ? true : await admin(kind);
      if (reachable instanceof Error) {
        if (process.env["CI"]) {
          it(`${kind} server is reachable`, () => {
            throw new Error(`${kind} is not reachable (${reachable.message}); CI=true requires it: start the server (see .ci/run)`);
          });
        } else {
          it.skip(`${kind}: server not reachable locally (${reachable.message})`, () => {});
        }
        return;
      }
      suite(kind);
    });
  }
}
