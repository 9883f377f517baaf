import knex, { type Knex } from "knex";
import { driverError } from "./errors.js";

// knex would print pool and deprecation notices on the console; Ferry reports through values.
const silent = { warn() {}, error() {}, deprecate() {}, debug() {} };

/** What the PostgreSQL, MySQL and SQLite drivers share: knex's pool of the driver's connections. */
export interface KnexPool {
  db: Knex;
  /** Runs `fn`, its errors as WarehouseErrors of that kind unless the driver's code says otherwise. */
  run<T>(code: "connection" | "query", fn: () => Promise<T>): Promise<T>;
  /** Runs `fn` on a connection of the pool, given back however it ends. */
  withConnection<C, T>(fn: (conn: C) => T | Promise<T>): Promise<T>;
  /** For a stream holding a connection: close() waits for it; call the result once it gave it back. */
  holdOpen(): () => void;
  close(): Promise<void>;
}

export function knexPool(config: Knex.Config, url: string): KnexPool {
  let db: Knex;
  try {
    // knex loads the driver as it starts: a driver that cannot load is the warehouse's to explain.
    db = knex({ ...config, log: silent });
  } catch (error) {
    throw driverError(error, url, "connection");
  }
  const open = new Set<Promise<void>>();
  const run = async <T>(code: "connection" | "query", fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw driverError(error, url, code);
    }
  };
  return {
    db,
    run,
    async withConnection<C, T>(fn: (conn: C) => T | Promise<T>) {
      const conn = (await run("connection", () => db.client.acquireConnection())) as C;
      try {
        return await run("query", async () => fn(conn));
      } finally {
        await db.client.releaseConnection(conn);
      }
    },
    holdOpen() {
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      open.add(finished);
      return () => {
        open.delete(finished);
        done();
      };
    },
    async close() {
      await Promise.all(open);
      await db.destroy();
    },
  };
}
