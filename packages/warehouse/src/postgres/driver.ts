import type { Knex } from "knex";
import pg from "pg";
import type { Row } from "../contract.js";
import type { Driver, StreamOptions } from "../driver.js";
import { driverError } from "../errors.js";
import { knexPool } from "../knex-pool.js";
import { insertInSlices } from "../sql/insert.js";
import { copyAckLog } from "./acked.js";
import { chunkSink, copyOut, rowSink, type CopyColumn, type CopySink } from "./copy.js";
import { postgres } from "./dialect.js";
import { planNewRows } from "./planner.js";

/** Memory for the hash of a rerun's anti-join: bench/FINDINGS.md#work-mem. */
const STREAM_WORK_MEM = "64MB";
/** The state's ANALYZE samples 7,500 rows: counts and each activation's share is what plans need. */
const ANALYZE_STATISTICS_TARGET = 25;

// Naive timestamps stay text (read as UTC by the mapper) instead of being taken as the runner's
// local time; numerics and bigints stay text so nothing loses digits.
const AS_TEXT = new Set([20, 1082, 1114, 1184]);
const asText = (v: string) => v;
const typeParser = (oid: number, format: string) =>
  format !== "binary" && AS_TEXT.has(oid) ? asText : pg.types.getTypeParser(oid, format as "text");

type PgConn = pg.PoolClient & { __knex__disposed?: unknown };

export function postgresDriver(url: string): Driver {
  const pool = knexPool(
    {
      client: "pg",
      connection: { connectionString: url, types: { getTypeParser: typeParser } } as Knex.PgConnectionConfig,
      pool: { min: 0, max: 4 },
    },
    url,
  );
  const { db, run, withConnection } = pool;

  /** Without bindings the SQL goes to the driver as written: knex would number each `?`. */
  const raw = (sql: string, bindings: readonly unknown[]) =>
    bindings.length
      ? run("query", () => db.raw(sql, bindings as Knex.RawBinding[]) as unknown as Promise<pg.QueryResult<Row>>)
      : withConnection(async (conn: pg.PoolClient) => {
          const result = (await conn.query(sql)) as pg.QueryResult<Row> | pg.QueryResult<Row>[];
          return Array.isArray(result) ? result.at(-1)! : result;
        });

  /**
   * A query read through COPY into a sink, typed by the same query run for no rows. Inside a
   * transaction whose SET LOCAL settings end with it, also behind a pooler; one simple query
   * for them all, as a remote warehouse is milliseconds away.
   */
  async function* copying<T>(sql: string, options: StreamOptions, sink: (columns: CopyColumn[]) => CopySink<T>): AsyncGenerator<T> {
    const conn = (await run("connection", () => db.client.acquireConnection())) as PgConn;
    const closed = pool.holdOpen();
    let complete = false;
    try {
      const settings = [`work_mem = '${STREAM_WORK_MEM}'`, ...(options.settings ?? [])];
      await conn.query(["BEGIN", ...settings.map((s) => `SET LOCAL ${s}`)].join("; "));
      const { fields } = await conn.query(`SELECT * FROM (\n${sql}\n) q LIMIT 0`);
      const columns = fields.map((f) => ({ name: f.name, parse: typeParser(f.dataTypeID, "text") as (text: string) => unknown }));
      yield* copyOut(conn, sql, sink(columns), options.signal);
      await conn.query("COMMIT");
      complete = true;
    } catch (error) {
      throw driverError(error, url);
    } finally {
      // A COPY left unfinished holds the connection mid-protocol: close it, and the pool
      // replaces it (the server stops the statement and rolls back when the socket closes).
      if (!complete) {
        conn.__knex__disposed ??= "a COPY was cut short";
        conn.end().catch(() => undefined);
      }
      await db.client.releaseConnection(conn);
      closed();
    }
  }

  const driver: Driver = {
    dialect: postgres,
    query: async (sql, bindings = []) => (await raw(sql, bindings)).rows,
    change: async (sql, bindings = []) => (await raw(sql, bindings)).rowCount ?? 0,
    stream: (sql, options) => copying(sql, options, (columns) => rowSink(columns, options.size)),
    newRows: (sql, _columns, options) => copying(sql, options, (columns) => chunkSink(columns, options.size)),
    plan: (x, options) => planNewRows((sql) => driver.query(sql), x, options),
    async batch(statements) {
      // A table and its index together or not at all: a crash between them would leave a table never indexed.
      await run("query", () =>
        db.transaction(async (trx) => {
          for (const sql of statements) await trx.raw(sql);
        }),
      );
    },
    insert: (table, columns, rows, conflict) => insertInSlices(driver, table, columns, rows, conflict),
    // Racing creations lose with a unique violation, which the state store takes as done.
    createSchema: (schema) => driver.change(`CREATE SCHEMA IF NOT EXISTS ${postgres.quotePart(schema)}`).then(() => undefined),
    async tableExists(schema, table) {
      const [row] = await driver.query("SELECT to_regclass(?) IS NOT NULL AS found", [
        `${postgres.quotePart(schema ?? "public")}.${postgres.quotePart(table)}`,
      ]);
      return row?.["found"] === true;
    },
    ackLog: (table, activation, runId) => copyAckLog(withConnection, table.sql, activation, runId),
    async analyze(tables) {
      await run("query", () =>
        db.transaction(async (trx) => {
          await trx.raw(`SET LOCAL default_statistics_target = ${ANALYZE_STATISTICS_TARGET}`);
          await trx.raw(`ANALYZE ${tables.join(", ")}`);
        }),
      );
    },
    // One hash join over the activation's records; of a key this run recorded twice, one copy stays.
    forgetSuperseded: (table, activation, runId) =>
      driver.change(
        `DELETE FROM ${table} a USING ${table} b
         WHERE a.activation = ? AND b.activation = ? AND b.run_id = ? AND b.pk_hash = a.pk_hash
           AND (a.run_id <> b.run_id OR a.ctid < b.ctid)`,
        [activation, activation, runId],
      ),
    // A session lock on a dedicated connection, released by the server if the process dies.
    async lock(key) {
      const id = BigInt.asIntN(64, BigInt(`0x${key.slice(0, 16)}`)).toString();
      const conn = (await run("connection", () => db.client.acquireConnection())) as pg.PoolClient;
      const result = await run("query", () => conn.query("SELECT pg_try_advisory_lock($1::bigint) AS ok", [id])).catch(async (error) => {
        await db.client.releaseConnection(conn);
        throw error;
      });
      if (result.rows[0]?.["ok"] !== true) {
        await db.client.releaseConnection(conn);
        return undefined;
      }
      return {
        release: async () => {
          await conn.query("SELECT pg_advisory_unlock($1::bigint)", [id]).catch(() => undefined);
          await db.client.releaseConnection(conn);
        },
      };
    },
    close: () => pool.close(),
  };
  return driver;
}
