import type { Knex } from "knex";
import type { Row } from "../contract.js";
import { inChunks } from "../chunks.js";
import type { Driver } from "../driver.js";
import { driverError } from "../errors.js";
import { knexPool } from "../knex-pool.js";
import { insertInSlices } from "../sql/insert.js";
import { mysql } from "./dialect.js";

type Result = [Row[] | { affectedRows?: number }, unknown];

export function mysqlDriver(url: string): Driver {
  const pool = knexPool(
    {
      client: "mysql2",
      connection: {
        uri: url.replace(/^mariadb:/, "mysql:"),
        // Dates and big numbers as text: nothing is read in the runner's time zone or loses digits.
        dateStrings: true,
        supportBigNumbers: true,
        bigNumberStrings: true,
        timezone: "Z",
      } as Knex.MySql2ConnectionConfig,
      pool: { min: 0, max: 4 },
    },
    url,
  );
  const { db, run } = pool;
  // Without bindings knex leaves every `?` as written (also inside literals).
  const raw = (sql: string, bindings: readonly unknown[]) =>
    run("query", async () => (await (bindings.length ? db.raw(sql, bindings as Knex.RawBinding[]) : db.raw(sql))) as Result);

  const driver: Driver = {
    dialect: mysql,
    async query(sql, bindings = []) {
      const [rows] = await raw(sql, bindings);
      return Array.isArray(rows) ? rows : [];
    },
    async change(sql, bindings = []) {
      const [result] = await raw(sql, bindings);
      return Array.isArray(result) ? 0 : Number(result.affectedRows ?? 0);
    },
    async *stream(sql, { size, signal }) {
      const rows = db.raw(sql).stream({ highWaterMark: size } as never) as unknown as AsyncIterable<Row> & NodeJS.EventEmitter;
      // knex gives the connection back on the stream's "close" event; close() waits for it, or
      // knex would release into a destroyed pool (events.once would settle early, on "error").
      const closed = pool.holdOpen();
      rows.once("close", closed);
      // Leaving the loop early destroys the stream, which releases the connection.
      try {
        yield* inChunks(rows, size, signal);
      } catch (error) {
        throw driverError(error, url);
      }
    },
    async batch(statements) {
      for (const sql of statements) await driver.change(sql);
    },
    // ON DUPLICATE KEY UPDATE counts an updated row twice; callers only compare with one.
    insert: (table, columns, rows, conflict) => insertInSlices(driver, table, columns, rows, conflict),
    // A schema is a database of the server.
    createSchema: (schema) => driver.change(`CREATE DATABASE IF NOT EXISTS ${mysql.quotePart(schema)}`).then(() => undefined),
    async tableExists(schema, table) {
      const rows = await driver.query(
        "SELECT 1 AS found FROM information_schema.tables WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?",
        [schema ?? null, table],
      );
      return rows.length > 0;
    },
    async analyze(tables) {
      await driver.query(`ANALYZE TABLE ${tables.join(", ")}`);
    },
    // A session lock on a dedicated connection, released by the server if the process dies.
    async lock(key) {
      const name = `ferry_${key.slice(0, 40)}`;
      const conn = await run("connection", () => db.client.acquireConnection());
      const ok = await run("query", async () => {
        const [rows] = (await db.raw("SELECT GET_LOCK(?, 0) AS ok", [name]).connection(conn)) as [Row[]];
        return Number(rows[0]?.["ok"]) === 1;
      }).catch(async (error) => {
        await db.client.releaseConnection(conn);
        throw error;
      });
      if (!ok) {
        await db.client.releaseConnection(conn);
        return undefined;
      }
      return {
        release: async () => {
          await db
            .raw("SELECT RELEASE_LOCK(?)", [name])
            .connection(conn)
            .catch(() => undefined);
          await db.client.releaseConnection(conn);
        },
      };
    },
    close: () => pool.close(),
  };
  return driver;
}
