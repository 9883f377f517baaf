import type { DuckDBConnection, DuckDBInstance, DuckDBResult, DuckDBValue } from "@duckdb/node-api";
import { ChunkBuilder, slotOf, type Slot } from "../chunks.js";
import type { Row, RowChunk } from "../contract.js";
import type { Driver, StreamOptions } from "../driver.js";
import { driverError, WarehouseError } from "../errors.js";
import { renderInsert, slices } from "../sql/insert.js";
import { duckdb } from "./dialect.js";

type Api = typeof import("@duckdb/node-api");

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
    throw new WarehouseError(
      "connection",
      `DuckDB's driver could not be loaded (${(error as Error).message.split("\n")[0]}): install it with \`npm install @duckdb/node-api\``,
    );
  }
}

// Values as JSON-ready JavaScript: DECIMAL, BIGINT and timestamps as text, so nothing loses
// digits or is read in the runner's time zone (as on PostgreSQL); LIST and STRUCT as arrays and objects.
/** DuckDB's message without the SQL excerpt it adds on later lines ("LINE 4: …"), which may quote the user's values. */
const duckError = (error: unknown, url: string, code?: "connection" | "query") => {
  const e = error as { message?: unknown };
  if (typeof e?.message === "string") e.message = e.message.split("\n")[0];
  return driverError(error, url, code);
};

const rowsOf = (api: Api, result: DuckDBResult) => async () => {
  const chunk = await result.fetchChunk();
  return chunk && chunk.rowCount > 0 ? (chunk.convertRows(api.JsonDuckDBValueConverter) as unknown[][]) : undefined;
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

  /** A statement's rows as arrays, with its column names, read a DuckDB chunk (2,048 rows) at a time. */
  async function* reading(sql: string, signal: AbortSignal | undefined): AsyncGenerator<{ names: string[]; rows: unknown[][] }> {
    const { api, instance } = await open();
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    streams.add(finished);
    const conn = await instance.connect();
    try {
      const result = await conn.stream(sql).catch((error: unknown) => Promise.reject(duckError(error, url)));
      const names = result.columnNames();
      const next = rowsOf(api, result);
      for (let rows = await next(); rows; rows = await next()) {
        yield { names, rows };
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
    for await (const { names, rows } of reading(sql, signal)) {
      for (const values of rows) {
        const row: Row = {};
        for (let i = 0; i < names.length; i++) row[names[i]!] = values[i];
        chunk.push(row);
      }
      if (chunk.length >= size) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length) yield chunk;
  }

  /** The new rows, each column to its place: the segment's into the row, the hidden ones into the chunk. */
  async function* newRows(sql: string, _columns: readonly string[], { size, signal }: StreamOptions): AsyncGenerator<RowChunk> {
    const builder = new ChunkBuilder(size);
    let slots: Slot[] = [];
    const hidden: Partial<Record<Slot, unknown>> = {};
    for await (const { names, rows } of reading(sql, signal)) {
      if (slots.length === 0) slots = names.map(slotOf);
      for (const values of rows) {
        const row: Row = {};
        for (let i = 0; i < names.length; i++) {
          if (slots[i] === "row") row[names[i]!] = values[i];
          else hidden[slots[i]!] = values[i];
        }
        builder.add(row, hidden.key, hidden.keyText, hidden.probeA, hidden.probeB, hidden.reason, hidden.fingerprint);
        if (builder.full) yield builder.take();
      }
    }
    if (builder.length) yield builder.take();
  }

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
    newRows,
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
    async insert(table, columns, rows, conflict) {
      let written = 0;
      for (const slice of slices(duckdb, rows, columns.length)) {
        written += await driver.change(renderInsert(duckdb, table, columns, slice.length, conflict), slice.flat());
      }
      return written;
    },
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
