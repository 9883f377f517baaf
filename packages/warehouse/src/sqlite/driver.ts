import type Database from "better-sqlite3";
import { sha256 } from "../chunks.js";
import type { Row } from "../contract.js";
import { inChunks } from "../chunks.js";
import type { Driver } from "../driver.js";
import { driverError, WarehouseError } from "../errors.js";
import { knexPool } from "../knex-pool.js";
import { renderInsert } from "../sql/insert.js";
import { sqlite } from "./dialect.js";

/** The file of a sqlite: URL; an in-memory database cannot keep state between runs. */
function filenameOf(url: string): string {
  const filename = decodeURIComponent(url.replace(/^sqlite:(\/\/)?/i, ""));
  if (filename === "" || filename === ":memory:") {
    throw new WarehouseError(
      "unsupported",
      "an in-memory SQLite database cannot keep sync state between runs: use a file, e.g. sqlite:./warehouse.db",
    );
  }
  return filename;
}

// better-sqlite3 takes no booleans: SQLite stores them as 0 and 1.
const bindable = (values: readonly unknown[]) => values.map((v) => (typeof v === "boolean" ? Number(v) : v));

export function sqliteDriver(url: string): Driver {
  const pool = knexPool(
    {
      client: "better-sqlite3",
      connection: { filename: filenameOf(url) },
      useNullAsDefault: true,
      // Several connections: one streams the segment while another records acknowledgements.
      pool: {
        min: 0,
        max: 4,
        afterCreate: (db: Database.Database, done: (err: Error | null, db: unknown) => void) => {
          db.pragma("journal_mode = WAL");
          db.pragma("busy_timeout = 10000");
          // Checkpoints followed nearly every acknowledged batch at the default: bench/FINDINGS.md#sqlite-wal.
          db.pragma("wal_autocheckpoint = 20000");
          db.function("ferry_sha256", { deterministic: true }, (value: unknown) => (value === null ? null : sha256(String(value))));
          done(null, db);
        },
      },
    },
    url,
  );
  const on = <T>(fn: (conn: Database.Database) => T) => pool.withConnection(fn);

  const driver: Driver = {
    dialect: sqlite,
    query: (sql, bindings = []) =>
      on((conn) => {
        const statement = conn.prepare(sql);
        return statement.reader ? (statement.all(...bindable(bindings)) as Row[]) : (statement.run(...bindable(bindings)), []);
      }),
    change: (sql, bindings = []) => on((conn) => conn.prepare(sql).run(...bindable(bindings)).changes),
    /**
     * better-sqlite3 reads synchronously on its own connection, yielded in chunks so the run
     * (and its HTTP) goes on between them. A run first copies its new rows into a temporary
     * table, which ends the read: one held open for a whole run keeps SQLite from
     * checkpointing what the run records meanwhile (bench/FINDINGS.md#sqlite-wal).
     */
    async *stream(sql, { size, signal, whileRecording }) {
      const conn = (await pool.run("connection", () => pool.db.client.acquireConnection())) as Database.Database;
      const copy = whileRecording ? "ferry_new_rows" : undefined;
      try {
        let rows: IterableIterator<Row>;
        if (copy) {
          conn.exec(`DROP TABLE IF EXISTS temp.${copy}`);
          conn.prepare(`CREATE TEMP TABLE ${copy} AS SELECT * FROM (\n${sql}\n)`).run();
          rows = conn.prepare(`SELECT * FROM temp.${copy}`).iterate() as IterableIterator<Row>;
        } else rows = conn.prepare(sql).iterate() as IterableIterator<Row>;
        yield* inChunks(rows, size, signal);
      } catch (error) {
        throw driverError(error, url);
      } finally {
        try {
          if (copy) conn.exec(`DROP TABLE IF EXISTS temp.${copy}`);
        } finally {
          await pool.db.client.releaseConnection(conn);
        }
      }
    },
    batch: (statements) => on((conn) => conn.transaction(() => statements.forEach((sql) => conn.exec(sql)))()),
    /** One prepared statement run per row in one transaction: SQLite parses a multi-row INSERT for every slice. */
    insert: (table, columns, rows, conflict) =>
      on((conn) => {
        const insert = conn.prepare(renderInsert(sqlite, table, columns, 1, conflict));
        return conn.transaction(() => rows.reduce((n, values) => n + insert.run(...bindable(values)).changes, 0))();
      }),
    createSchema: async () => {},
    tableExists: async (_schema, table) =>
      (await driver.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [table])).length > 0,
    async analyze(tables) {
      for (const table of tables) await driver.change(`ANALYZE ${table}`);
    },
    close: () => pool.close(),
  };
  return driver;
}
