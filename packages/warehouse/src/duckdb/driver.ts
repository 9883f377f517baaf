import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from "@duckdb/node-api";
import type { AckLog, Row } from "../contract.js";
import type { Driver, StateTarget, StreamOptions } from "../driver.js";
import { driverError, WarehouseError } from "../errors.js";
import { insertInSlices } from "../sql/insert.js";
import { bufferedAckLog } from "../state/store.js";
import { duckdb } from "./dialect.js";

type Api = typeof import("@duckdb/node-api");

/** Types JSON would carry as numbers that lose digits: read as text. */
const asText = ({ DuckDBTypeId: id }: Api) => new Set<number>([id.BIGINT, id.UBIGINT, id.HUGEINT, id.UHUGEINT, id.DECIMAL, id.BIGNUM]);

/** The database a duckdb: or md: URL names: a file (or MotherDuck's database, as DuckDB reads `md:`). */
export function databaseOf(url: string): string {
  if (/^md:/i.test(url)) return url;
  const path = decodeURIComponent(url.replace(/^duckdb:(\/\/)?/i, ""));
  if (path === "" || path === ":memory:") {
    throw new WarehouseError(
      "unsupported",
      "an in-memory DuckDB database cannot keep sync state between runs: use a file, e.g. duckdb:./warehouse.duckdb",
    );
  }
  return path;
}

/** The driver is loaded when a DuckDB URL is first used: its native part is large, and optional. */
async function loadApi(): Promise<Api> {
  try {
    return await import("@duckdb/node-api");
  } catch (error) {
    const message = (error as Error).message;
    // The GitHub Action's loader of the native part says what to install, and where: kept whole.
    if (/cannot bundle|built for another Node/.test(message)) throw new WarehouseError("connection", message);
    throw new WarehouseError(
      "connection",
      `DuckDB's driver could not be loaded (${message.split("\n")[0]}): install it with \`npm install @duckdb/node-api\``,
    );
  }
}

/** DuckDB's message without the SQL excerpt it adds on later lines ("LINE 4: …"), which may quote the user's values. */
const duckError = (error: unknown, url: string, code?: "connection" | "query") => {
  const e = error as { message?: unknown };
  if (typeof e?.message === "string") e.message = e.message.split("\n")[0];
  return driverError(error, url, code);
};

/**
 * One instance a database in this process, shared by every connect() to it: DuckDB lets one
 * instance open a file for writing, and closes it when the last user is done.
 */
const instances = new Map<string, { instance: Promise<DuckDBInstance>; users: number }>();

async function acquireInstance(api: Api, database: string): Promise<DuckDBInstance> {
  let shared = instances.get(database);
  if (!shared) instances.set(database, (shared = { instance: api.DuckDBInstance.create(database), users: 0 }));
  shared.users++;
  try {
    return await shared.instance;
  } catch (error) {
    if (--shared.users === 0) instances.delete(database);
    throw error;
  }
}

function releaseInstance(database: string, instance: DuckDBInstance): void {
  const shared = instances.get(database);
  if (shared && --shared.users === 0) {
    instances.delete(database);
    instance.closeSync();
  }
}

export function duckdbDriver(url: string): Driver {
  const database = databaseOf(url);
  let opened: Promise<{ api: Api; instance: DuckDBInstance; main: DuckDBConnection }> | undefined;
  const open = () =>
    (opened ??= (async () => {
      const api = await loadApi();
      try {
        const instance = await acquireInstance(api, database);
        return { api, instance, main: await instance.connect() };
      } catch (error) {
        // DuckDB lets one process write a database file at a time.
        const holder = /Could not set lock on file[\s\S]*?\(PID (\d+)\)/.exec(String((error as Error).message));
        if (holder) {
          throw new WarehouseError(
            "lock_held",
            `another process (PID ${holder[1]}) has the DuckDB database open; DuckDB lets one process write it at a time: try again when it ends`,
          );
        }
        throw duckError(error, url, "connection");
      }
    })());
  // One statement at a time on the main connection; each stream reads on a connection of its own.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: (main: DuckDBConnection) => Promise<T>): Promise<T> => {
    const next = queue.then(async () => {
      const { main } = await open();
      try {
        return await fn(main);
      } catch (error) {
        throw duckError(error, url);
      }
    });
    queue = next.catch(() => undefined);
    return next;
  };
  const values = (bindings: readonly unknown[]) => bindings as DuckDBValue[];
  const streams = new Set<Promise<void>>();

  /**
   * A statement's rows, read a DuckDB chunk (2,048 rows) at a time, each row serialised by
   * DuckDB as one JSON object and parsed here (bench/FINDINGS.md#duckdb-json). Integers wider
   * than 32 bits and decimals are cast to text first, so nothing loses digits (as on
   * PostgreSQL); timestamps are text as DuckDB prints them, lists and structs JSON values.
   */
  async function* reading(sql: string, signal: AbortSignal | undefined): AsyncGenerator<Row[]> {
    const { api, instance } = await open();
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    streams.add(finished);
    const conn = await instance.connect();
    try {
      const described = await conn.prepare(`SELECT * FROM (\n${sql}\n) q`);
      const textTypes = asText(api);
      const fields = Array.from({ length: described.columnCount }, (_, i) => {
        const name = duckdb.quotePart(described.columnName(i));
        const text = textTypes.has(described.columnTypeId(i) as number);
        return `${name} := ${text ? `CAST(q.${name} AS VARCHAR)` : `q.${name}`}`;
      });
      const result = await conn.stream(`SELECT to_json(struct_pack(${fields.join(", ")}))::VARCHAR FROM (\n${sql}\n) q`);
      for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
        yield (chunk.getColumns()[0] as string[]).map((json) => JSON.parse(json) as Row);
        if (signal?.aborted) return;
      }
    } catch (error) {
      throw duckError(error, url);
    } finally {
      conn.closeSync();
      streams.delete(finished);
      done();
    }
  }

  async function* stream(sql: string, { size, signal }: StreamOptions): AsyncGenerator<Row[]> {
    let chunk: Row[] = [];
    for await (const rows of reading(sql, signal)) {
      chunk.push(...rows);
      if (chunk.length >= size) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length) yield chunk;
  }

  /** A run's acknowledgements through DuckDB's appender: no SQL to parse, no parameters to bind. */
  const appendingAckLog = (target: StateTarget, activation: string, runId: string): AckLog =>
    bufferedAckLog((rows, at) =>
      serial(async (main) => {
        const appender = await main.createAppender(target.table, target.schema);
        for (const r of rows) {
          appender.appendVarchar(activation);
          appender.appendVarchar(r.pkHash);
          appender.appendVarchar(r.eventId);
          appender.appendBigInt(BigInt(r.eventTime));
          appender.appendVarchar(runId);
          appender.appendBigInt(BigInt(at));
          appender.endRow();
        }
        appender.closeSync();
      }),
    );

  const driver: Driver = {
    dialect: duckdb,
    query: (sql, bindings = []) =>
      serial(async (main) => {
        const reader = await main.runAndReadAll(sql, bindings.length ? values(bindings) : undefined);
        return reader.getRowObjectsJson() as Row[];
      }),
    change: (sql, bindings = []) =>
      serial(async (main) => (await main.run(sql, bindings.length ? values(bindings) : undefined)).rowsChanged),
    stream,
    ackLog: appendingAckLog,
    batch: (statements) =>
      serial(async (main) => {
        await main.run("BEGIN TRANSACTION");
        try {
          for (const sql of statements) await main.run(sql);
          await main.run("COMMIT");
        } catch (error) {
          await main.run("ROLLBACK").catch(() => undefined);
          throw error;
        }
      }),
    insert: (table, columns, rows, conflict) => insertInSlices(driver, table, columns, rows, conflict),
    createSchema: (schema) => driver.change(`CREATE SCHEMA IF NOT EXISTS ${duckdb.quotePart(schema)}`).then(() => undefined),
    async tableExists(schema, table) {
      const rows = await driver.query("SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [
        schema ?? "main",
        table,
      ]);
      return rows.length > 0;
    },
    async analyze() {
      await driver.change("ANALYZE");
    },
    async close() {
      await Promise.all(streams);
      await queue;
      if (!opened) return;
      const { instance, main } = await opened.catch(() => ({ instance: undefined, main: undefined }));
      main?.closeSync();
      if (instance) releaseInstance(database, instance);
    },
  };
  return driver;
}
