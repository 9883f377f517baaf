import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect, DIALECTS, qualifiedState, type Warehouse } from "@ferry/warehouse";
import { describe, it } from "vitest";

export type WarehouseKind = "sqlite" | "postgres" | "mysql";
export const ALL_WAREHOUSES: WarehouseKind[] = ["sqlite", "postgres", "mysql"];

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

/** A fresh, empty warehouse: a SQLite file, or a new database on the PostgreSQL/MariaDB server. */
export async function createTempWarehouse(kind: WarehouseKind): Promise<TempWarehouse> {
  if (kind === "sqlite") {
    const dir = await mkdtemp(path.join(tmpdir(), "ferry-wh-"));
    return {
      kind,
      url: `sqlite:${path.join(dir, "warehouse.db")}`,
      stateSchema: "ferry",
      stateTable: (table) => qualifiedState(DIALECTS.sqlite, "ferry", table),
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
      const reachable = kind === "sqlite" ? true : await admin(kind);
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
