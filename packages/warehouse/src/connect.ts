import { hash } from "node:crypto";
import { hostname } from "node:os";
import { StringDecoder } from "node:string_decoder";
import type Database from "better-sqlite3";
import knex, { type Knex } from "knex";
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import Cursor from "pg-cursor";
import { dialectFor, type Dialect } from "./dialect.js";
import { redact, WarehouseError, type WarehouseErrorCode } from "./errors.js";
import { KEY_TEXT_COLUMN, ownText, PK_COLUMN, renderFreshSql, renderNewRowsSql, renderSizeSql, type Extraction } from "./sql.js";
import { createStateStore, type StateStore, type WithConnection } from "./state.js";

export type Row = Record<string, unknown>;

// A history this many times the source's planned size is looked up by key (see lookups):
// a probe costs about a fifth of a key's hash and index lookup, measured on PostgreSQL 15.
const BY_KEY_RATIO = 5;
// From this many acknowledged rows, keys the probes missed are looked up one by one (see lookups).
const KEYS_BY_INDEX_FROM = 50_000;
// Memory for the hash of a rerun's anti-join (see copyStream).
const STREAM_WORK_MEM = "64MB";
// A history at least this share of the source's planned size may be anti-joined in parallel
// (see lookups): few of the source's rows are expected to be new.
const MOST_KNOWN_SHARE = 0.9;
// What the planner is told passing a row from a parallel worker costs then (see newRowsSql).
const FEW_ROWS_TUPLE_COST = "0.001";

export interface Warehouse {
  readonly dialect: Dialect;
  /**
   * The rows not yet acknowledged, streamed in chunks with backpressure, each with its remembered
   * rejection if any (see rememberedOf). `remembered`: only the rows with one (true), or only
   * those without (false). `whileRecording`: the caller records state while it reads (a run,
   * not a preview).
   */
  newRows(
    x: Extraction,
    options?: { fullRefresh?: boolean; remembered?: boolean; signal?: AbortSignal; whileRecording?: boolean },
  ): AsyncIterable<Row[]>;
  /** How many rows newRows would yield with the same options. */
  countNewRows(x: Extraction, options?: { fullRefresh?: boolean; remembered?: boolean }): Promise<number>;
  /**
   * A query, streamed in chunks the same way (the benchmark's floor reads through it). As with
   * execute, `?` marks a binding only when bindings are given; without, SQL runs as written.
   * On PostgreSQL, SQL without bindings is read as the new rows are, through COPY, which takes
   * a query (SELECT, VALUES, TABLE, WITH) but not SHOW or EXPLAIN; with bindings, a cursor.
   */
  streamQuery(sql: string, bindings?: readonly unknown[], options?: { signal?: AbortSignal }): AsyncIterable<Row[]>;
  readonly state: StateStore;
  /** Runs `fn` holding the activation's lock; throws WarehouseError("lock_held") when another run has it. */
  withLock<T>(activation: string, stateSchema: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Administrative SQL (demo seeding, tests); returns rows for SELECTs. With bindings, each `?`
   * is one (knex's placeholders); without, the SQL runs exactly as written, `?` and all.
   */
  execute(sql: string, bindings?: readonly unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Rows per chunk yielded by newRows. */
  chunkSize?: number;
}

const pgTypes = pg.types;
// Naive timestamps stay text (read as UTC by the mapper) instead of being taken as the runner's
// local time; numerics and bigints stay text so nothing loses digits. The driver's own bigint
// parser returns its text too, after a regex test (three a row with the key and its probes).
const AS_TEXT = new Set([20, 1082, 1114, 1184]);
const asText = (v: string) => v;
const pgTypeParser = (oid: number, format: string) =>
  format !== "binary" && AS_TEXT.has(oid) ? asText : pgTypes.getTypeParser(oid, format as "text");
// One-shot: SQLite calls it for every row's key, and createHash cost twice as much.
const sha256 = (s: string) => hash("sha256", s, "hex");

type CopyColumn = { name: string; parse: (text: string) => unknown };

/**
 * One line of COPY's text format: fields split by tabs, `\\N` for NULL; a field holding a
 * backslash has escapes (a tab, line break or backslash in a value never appears raw).
 */
function copyRow(text: string, start: number, end: number, columns: readonly CopyColumn[]): Row {
  const row: Row = {};
  let from = start;
  for (let i = 0; i < columns.length; i++) {
    const tab = text.indexOf("\t", from);
    const last = i === columns.length - 1;
    // Each field but the last ends at a tab of this line; the last at the line's end.
    if (last ? tab >= 0 && tab < end : tab < 0 || tab > end) {
      throw new WarehouseError("query", "a row from the warehouse does not have one field per column");
    }
    const field = text.slice(from, last ? end : tab);
    const column = columns[i]!;
    row[column.name] = field === "\\N" ? null : column.parse(field.includes("\\") ? unescapeCopy(field) : field);
    from = tab + 1;
  }
  return row;
}

const COPY_ESCAPES: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" };
const unescapeCopy = (field: string) => field.replace(/\\(.)/gs, (_, c: string) => COPY_ESCAPES[c] ?? c);

/**
 * knex prefixes driver errors with the statement, bindings inlined: values (hashes, or a
 * user's data in an upstream query) must not travel in error messages, so keep the driver's part.
 */
/** Drivers' error codes by what the user does next; any other keeps the operation's kind. */
const DRIVER_CODES: Record<string, WarehouseErrorCode> = {
  ECONNREFUSED: "connection",
  ENOTFOUND: "connection",
  ETIMEDOUT: "connection",
  ECONNRESET: "connection",
  "3D000": "connection", // PostgreSQL: no such database
  ER_BAD_DB_ERROR: "connection",
  SQLITE_CANTOPEN: "connection",
  "28P01": "authentication", // PostgreSQL: password authentication failed
  "28000": "authentication", // PostgreSQL: no pg_hba.conf entry / role may not log in
  ER_ACCESS_DENIED_ERROR: "authentication",
  "42501": "permission", // PostgreSQL: insufficient privilege
  ER_DBACCESS_DENIED_ERROR: "permission",
  ER_TABLEACCESS_DENIED_ERROR: "permission",
  ER_COLUMNACCESS_DENIED_ERROR: "permission",
  ER_SPECIFIC_ACCESS_DENIED_ERROR: "permission",
  SQLITE_READONLY: "permission",
  SQLITE_PERM: "permission",
};

function driverMessage(message: string): string {
  // knex puts "run npm install <driver>" before a driver that failed to load, whatever the cause.
  message = message.replace(/^Knex: run\n\$ npm install \S+ --save\n/, "");
  // Installed with --ignore-scripts, or under npm's strict-allow-scripts without an approval.
  if (/Could not locate the bindings file[\s\S]*better.sqlite3/.test(message))
    return "SQLite's driver (better-sqlite3) is installed without its native part: its install script did not run (npm --ignore-scripts, or strict-allow-scripts without an approval). Run `npm install-scripts approve better-sqlite3 && npm rebuild better-sqlite3`";
  const cut = message.match(/^\s*(?:select|insert|update|delete|create|drop|with|alter)\b[\s\S]*? - (?=[^-][\s\S]*$)/i);
  const rest = cut ? message.slice(cut[0].length) : message;
  return rest.length > 500 ? `${rest.slice(0, 500)}…` : rest;
}

// knex would print pool and deprecation notices on the console; Ferry reports through values.
const silent = { warn() {}, error() {}, deprecate() {}, debug() {} };

function knexConfig(dialect: Dialect, url: string): Knex.Config {
  return { ...driverConfig(dialect, url), log: silent };
}

/** knex loads the driver as it starts: a driver that cannot load is the warehouse's to explain. */
function createKnex(dialect: Dialect, url: string): Knex {
  try {
    return knex(knexConfig(dialect, url));
  } catch (error) {
    if (error instanceof WarehouseError) throw error;
    throw new WarehouseError("connection", redact(driverMessage((error as Error).message ?? String(error)), url));
  }
}

function driverConfig(dialect: Dialect, url: string): Knex.Config {
  switch (dialect.name) {
    case "postgres":
      return {
        client: "pg",
        connection: {
          connectionString: url,
          types: { getTypeParser: pgTypeParser },
        } as Knex.PgConnectionConfig,
        pool: { min: 0, max: 4 },
      };
    case "mysql":
      return {
        client: "mysql2",
        connection: {
          uri: url.replace(/^mariadb:/, "mysql:"),
          dateStrings: true,
          supportBigNumbers: true,
          bigNumberStrings: true,
          timezone: "Z",
        } as Knex.MySql2ConnectionConfig,
        pool: { min: 0, max: 4 },
      };
    case "sqlite": {
      const filename = decodeURIComponent(url.replace(/^sqlite:(\/\/)?/i, ""));
      if (filename === "" || filename === ":memory:") {
        throw new WarehouseError(
          "unsupported",
          "an in-memory SQLite database cannot keep sync state between runs: use a file, e.g. sqlite:./warehouse.db",
        );
      }
      return {
        client: "better-sqlite3",
        connection: { filename },
        useNullAsDefault: true,
        // Several connections: one streams the segment while another records acknowledgements.
        pool: {
          min: 0,
          max: 4,
          afterCreate: (db: Database.Database, done: (err: Error | null, db: unknown) => void) => {
            db.pragma("journal_mode = WAL");
            db.pragma("busy_timeout = 10000");
            // Random keys dirty about a page a recorded row: at the default 1,000 pages a
            // checkpoint (and its fsync) followed nearly every acknowledged batch (1M-row run:
            // 42 -> 33.5 s with 20,000 pages, 80 MB of log at most).
            db.pragma("wal_autocheckpoint = 20000");
            db.function("ferry_sha256", { deterministic: true }, (value: unknown) => (value === null ? null : sha256(String(value))));
            done(null, db);
          },
        },
      };
    }
    default:
      throw new WarehouseError(
        "unsupported",
        `Ferry cannot connect to ${dialect.name} yet: plans compile for it, runs need PostgreSQL, MySQL/MariaDB or SQLite`,
      );
  }
}

/** Connects to a warehouse by URL; every error it raises has the credentials removed. */
export function connect(url: string, options: ConnectOptions = {}): Warehouse {
  const dialect = dialectFor(url);
  const db = createKnex(dialect, url);
  const chunkSize = options.chunkSize ?? 1000;
  const openStreams = new Set<Promise<void>>();
  /** A PostgreSQL stream holding a connection: close() waits for it; call the result once it gave it back. */
  const holdOpen = () => {
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    openStreams.add(finished);
    return () => {
      openStreams.delete(finished);
      done();
    };
  };
  const wrap = (code: "connection" | "query", error: unknown): WarehouseError => {
    if (error instanceof WarehouseError) return error;
    const e = error as { message?: string; code?: string };
    const kind = (e.code ? DRIVER_CODES[e.code] : undefined) ?? code;
    return new WarehouseError(kind, redact(driverMessage(e.message ?? String(error)), url));
  };
  const run = async <T>(code: "connection" | "query", fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw wrap(code, error);
    }
  };

  /**
   * `whileRecording`: see newRows. `keyText`: the SQL yields KEY_TEXT_COLUMN for this reader to
   * hash into PK_COLUMN (PostgreSQL only, see renderNewRowsSql). `settings`: PostgreSQL settings
   * for this statement only (see newRowsSql).
   */
  async function* stream(
    sql: string,
    bindings: readonly unknown[],
    opts: {
      signal?: AbortSignal | undefined;
      whileRecording?: boolean | undefined;
      keyText?: boolean;
      settings?: readonly string[];
    } = {},
  ): AsyncGenerator<Row[]> {
    const { signal, whileRecording = false } = opts;
    if (dialect.name === "sqlite") {
      // better-sqlite3 iterates synchronously on its own connection; yield in chunks so the
      // pipeline (and its HTTP) keeps running between them.
      const conn = (await run("connection", () => db.client.acquireConnection())) as Database.Database;
      // A read held open for a whole run keeps SQLite from checkpointing the write-ahead log
      // that the state writes grow meanwhile (5.7 GB at a million rows). So a run first copies
      // the new rows into a temporary table of this connection, which ends the read, then
      // streams the copy (measured: 0.15 s a 100k-row run).
      const copy = whileRecording ? "ferry_new_rows" : undefined;
      try {
        const iterator = run("query", async () => {
          if (!copy) return conn.prepare(sql).iterate(...bindings) as IterableIterator<Row>;
          conn.exec(`DROP TABLE IF EXISTS temp.${copy}`);
          conn.prepare(`CREATE TEMP TABLE ${copy} AS SELECT * FROM (\n${sql}\n)`).run(...bindings);
          return conn.prepare(`SELECT * FROM temp.${copy}`).iterate() as IterableIterator<Row>;
        });
        let chunk: Row[] = [];
        for (const row of await iterator) {
          chunk.push(row);
          if (chunk.length >= chunkSize) {
            yield chunk;
            chunk = [];
            if (signal?.aborted) return;
          }
        }
        if (chunk.length) yield chunk;
      } catch (error) {
        throw wrap("query", error);
      } finally {
        try {
          if (copy) conn.exec(`DROP TABLE IF EXISTS temp.${copy}`);
        } finally {
          await db.client.releaseConnection(conn);
        }
      }
      return;
    }
    if (dialect.name === "postgres") {
      yield* bindings.length ? cursorStream(sql, bindings, signal) : copyStream(sql, signal, opts);
      return;
    }
    const rows = raw(sql, bindings).stream({ highWaterMark: chunkSize, batchSize: chunkSize } as never) as unknown as AsyncIterable<Row> &
      NodeJS.EventEmitter;
    // knex gives the connection back on the stream's "close" event; close() waits for it, or
    // knex would release into a destroyed pool.
    // (events.once would settle early, on "error".)
    const closed = new Promise<void>((resolve) => rows.once("close", () => resolve()));
    openStreams.add(closed);
    void closed.then(() => openStreams.delete(closed));
    let chunk: Row[] = [];
    // Leaving the loop early destroys the stream (async iteration does it), which releases the
    // connection; destroying it again after an error would release it twice.
    try {
      for await (const row of rows) {
        chunk.push(row);
        if (chunk.length >= chunkSize) {
          yield chunk;
          chunk = [];
          if (signal?.aborted) break;
        }
      }
      if (chunk.length && !signal?.aborted) yield chunk;
    } catch (error) {
      throw wrap("query", error);
    }
  }

  /**
   * PostgreSQL: a cursor on a pooled connection, read a chunk at a time with the next chunk
   * requested before this one is handed over, so the server works while the caller maps. Each
   * read's array is the chunk: no stream between driver and caller, whose per-row pushes, events
   * and promises cost more than the mapping (measured on a million-row run: Ferry's CPU 9.2 ->
   * 7.8 s, with fewer rows alive at each collection).
   */
  async function* cursorStream(sql: string, bindings: readonly unknown[], signal?: AbortSignal): AsyncGenerator<Row[]> {
    // Only with bindings (SQL without goes through copyStream).
    const native = db
      .raw(sql, bindings as Knex.RawBinding[])
      .toSQL()
      .toNative();
    const conn = (await run("connection", () => db.client.acquireConnection())) as pg.PoolClient;
    const closed = holdOpen();
    // A connection that ends never answers the cursor's closing: wait for whichever comes first.
    let ended!: () => void;
    const connectionEnded = new Promise<void>((resolve) => (ended = resolve));
    conn.once("end", ended);
    let cursor: Cursor | undefined;
    let next: Promise<Row[]> | undefined;
    try {
      cursor = conn.query(new Cursor(native.sql, native.bindings as unknown[]));
      next = cursor.read(chunkSize);
      for (;;) {
        const rows: Row[] = await next;
        next = undefined;
        if (rows.length === 0) break;
        if (rows.length === chunkSize) next = cursor.read(chunkSize);
        yield rows;
        if (!next || signal?.aborted) break;
      }
    } catch (error) {
      throw wrap("query", error);
    } finally {
      // A read still out when the caller stops is answered before the portal closes; its rows
      // are dropped. knex marks a connection that ended as disposed, and the pool replaces it.
      next?.catch(() => undefined);
      if (cursor) {
        await Promise.race([cursor.close().catch(() => undefined), connectionEnded]);
      }
      conn.off("end", ended);
      await db.client.releaseConnection(conn);
      closed();
    }
  }

  /**
   * PostgreSQL, SQL without bindings (the new rows): `COPY (…) TO STDOUT`, its text parsed here
   * with the driver's own type parsers, named and typed by the same query run for no rows. One
   * stream instead of a cursor's round trip a chunk, and lines split by indexOf instead of a
   * protocol message a row (measured on a million new rows: Ferry's CPU 2.8 -> 1.7 s,
   * PostgreSQL's 2.7 -> 2.4 s). Backpressure is the socket's: nothing is read while the caller
   * maps a chunk, and the server fills the socket meanwhile.
   */
  async function* copyStream(
    sql: string,
    signal?: AbortSignal,
    opts: { keyText?: boolean; settings?: readonly string[] } = {},
  ): AsyncGenerator<Row[]> {
    const { keyText = false, settings = [] } = opts;
    const conn = (await run("connection", () => db.client.acquireConnection())) as pg.PoolClient & { __knex__disposed?: unknown };
    const closed = holdOpen();
    let complete = false;
    try {
      // A rerun hashes the history's probes: at the default 4 MB a million of them spill to
      // disk in 8 batches, both sides written out and read back (measured on a rerun with no
      // new rows over a million: 1.07-1.32 s, against 0.91-1.07 s in one batch of 55 MB; five
      // alternating pairs). SET LOCAL: the setting ends with this transaction, also behind a
      // pooler that hands the server connection to someone else afterwards. One simple query,
      // so one round trip however many settings: a remote warehouse is milliseconds away.
      await conn.query(["BEGIN", `SET LOCAL work_mem = '${STREAM_WORK_MEM}'`, ...settings.map((s) => `SET LOCAL ${s}`)].join("; "));
      const { fields } = await conn.query(`SELECT * FROM (\n${sql}\n) q LIMIT 0`);
      // The key's hash is kept until TikTok answers: a string of its own, not a slice of the text
      // received (see ownText). It is text as sent.
      const columns = fields.map((f) =>
        keyText && f.name === KEY_TEXT_COLUMN
          ? { name: PK_COLUMN, parse: sha256 }
          : f.name === PK_COLUMN
            ? { name: f.name, parse: ownText }
            : { name: f.name, parse: pgTypeParser(f.dataTypeID, "text") as (text: string) => unknown },
      );
      const copy = conn.query(copyTo(`COPY (\n${sql}\n) TO STDOUT`));
      const decoder = new StringDecoder("utf8");
      let rest = "";
      let chunk: Row[] = [];
      for await (const data of copy as AsyncIterable<Buffer>) {
        // A chunk may end inside a line, or inside a character: both wait for the next.
        const text = decoder.write(data);
        let start = 0;
        for (let end = text.indexOf("\n"); end >= 0; end = text.indexOf("\n", start)) {
          if (start === 0 && rest !== "") {
            // The line carried over is completed on its own: joined to the whole chunk, the
            // chunk's text was copied once more (about 110 bytes a row) for the search.
            const line = rest + text.slice(0, end);
            rest = "";
            chunk.push(copyRow(line, 0, line.length, columns));
          } else chunk.push(copyRow(text, start, end, columns));
          start = end + 1;
          if (chunk.length >= chunkSize) {
            yield chunk;
            chunk = [];
            if (signal?.aborted) return;
          }
        }
        // The carried part holds no line break: a line longer than many chunks is scanned once.
        rest = start === 0 ? rest + text : text.slice(start);
      }
      if (rest + decoder.end() !== "") throw new WarehouseError("query", "the warehouse ended the rows mid-line");
      if (chunk.length) yield chunk;
      await conn.query("COMMIT");
      complete = true;
    } catch (error) {
      throw wrap("query", error);
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

  // knex reads every `?` as a placeholder, also inside string literals; without bindings, the
  // SQL must reach the driver as written. MySQL's and SQLite's clients leave it so when knex is
  // given no bindings array; knex's PostgreSQL client would still number each `?` ($1, $2, …),
  // so such SQL goes to the driver itself (see query).
  const raw = (sql: string, bindings: readonly unknown[]) => (bindings.length ? db.raw(sql, bindings as Knex.RawBinding[]) : db.raw(sql));

  const withConnection: WithConnection = async <C, T>(fn: (conn: C) => T | Promise<T>) => {
    const conn = (await run("connection", () => db.client.acquireConnection())) as C;
    try {
      return await fn(conn);
    } finally {
      await db.client.releaseConnection(conn);
    }
  };

  /** The rows a statement returns (of its last statement, for several). */
  async function query(sql: string, bindings: readonly unknown[]): Promise<Row[]> {
    return run("query", async () => {
      if (dialect.name === "postgres" && bindings.length === 0) {
        return withConnection(async (conn: pg.PoolClient) => {
          const result = (await conn.query(sql)) as pg.QueryResult<Row> | pg.QueryResult<Row>[];
          return (Array.isArray(result) ? result.at(-1)?.rows : result.rows) ?? [];
        });
      }
      const result = await raw(sql, bindings);
      if (dialect.name === "postgres") return (result as { rows: Row[] }).rows;
      if (dialect.name === "mysql") return (Array.isArray((result as unknown[])[0]) ? (result as Row[][])[0] : []) as Row[];
      return (Array.isArray(result) ? result : []) as Row[];
    });
  }

  const state = createStateStore(db, dialect, run, withConnection);

  /**
   * How to find the acknowledged keys. byKey, by SHA-256 rather than by probes: when the planner
   * expects the source to be much smaller than its history (a window over recent orders), the
   * key's index serves it row by row, where probes would hash-join the whole history.
   * keysByIndex: with probes, the few rows they do not find are looked up by SHA-256 through the
   * index too, once the history is large: the planner cannot tell how few they are (it expected
   * three quarters of a million, for ten thousand) and hashed the whole history a second time
   * (measured at 1M acknowledged: 0.3-0.56 s of a 1.5-2.5 s rerun, against 30 ms of lookups).
   * parallel: a large history about as large as the source or larger; the probes' anti-join may
   * then run in parallel (see newRowsSql), the rows it passes being few.
   * Only speed depends on the choice: every query finds the same rows.
   */
  async function lookups(
    x: Extraction,
    fullRefresh: boolean | undefined,
  ): Promise<{ byKey?: boolean; keysByIndex?: boolean; parallel?: boolean; plannedAcked: number }> {
    if (!dialect.probes || fullRefresh) return { plannedAcked: 0 };
    const sizes = renderSizeSql(dialect, x);
    const planned = async (sql: string) => {
      const rows = (await query(`EXPLAIN (FORMAT JSON) ${sql}`, [])) as { "QUERY PLAN": [{ Plan: { "Plan Rows": number } }] }[];
      return Number(rows[0]?.["QUERY PLAN"][0].Plan["Plan Rows"] ?? 0);
    };
    const [source, acked] = [await planned(sizes.source), await planned(sizes.acked)];
    const byKey = source * BY_KEY_RATIO < acked;
    const keysByIndex = acked >= KEYS_BY_INDEX_FROM;
    return { byKey, keysByIndex, parallel: !byKey && keysByIndex && acked >= source * MOST_KNOWN_SHARE, plannedAcked: acked };
  }

  /**
   * PostgreSQL: whether the activation has nothing acknowledged nor rejected, so that its new
   * rows are read without joins (measured on a first run of a million rows: the joins with the
   * empty state and the key's SHA-256 cost PostgreSQL 1.9 of the query's 2.5 s). Asked only when
   * the planner expects few acknowledgements: without an index on the activation, the answer
   * may scan the other activations' records. During a run the activation's lock keeps the
   * answer true until the query starts; only this run records state meanwhile, and the query
   * does not see what it records.
   */
  async function fresh(x: Extraction, remembered: boolean | undefined, plannedAcked: number): Promise<boolean> {
    if (remembered === true || plannedAcked >= KEYS_BY_INDEX_FROM) return false;
    const [row] = await query(renderFreshSql(dialect, x), []);
    return row?.["fresh"] === true;
  }

  /**
   * The new rows' SQL, whether the reader hashes the keys, and PostgreSQL settings for it:
   * - No JIT when the keys the probes miss are looked up by index: the planner costs a lookup
   *   for each row it expects them to miss (375,000 of a million, none in fact), which crosses
   *   JIT's thresholds, and compiling took 0.17 s of a 0.9 s query (measured on a rerun with no
   *   new rows over a million; 0.68-0.72 s without against 0.76-1.03 s with).
   * - Passing a row from a parallel worker nearly free when the history covers the source: the
   *   planner expects three quarters of the source to be new (it cannot know how many keys are
   *   acknowledged) and costs passing them, so it kept the probes' anti-join serial; few pass.
   *   Measured on a rerun over a million acknowledged rows: 1.38-1.59 s serial, 1.02-1.12 s in
   *   parallel (1.32-1.39 against 1.04-1.13 s with 1% new rows).
   */
  async function newRowsSql(x: Extraction, opts: { fullRefresh?: boolean; remembered?: boolean }) {
    const chosen = await lookups(x, opts.fullRefresh);
    const keyText = dialect.name === "postgres" && (opts.fullRefresh === true || (await fresh(x, opts.remembered, chosen.plannedAcked)));
    const sql = renderNewRowsSql(dialect, x, {
      ...opts,
      ...(chosen.byKey !== undefined ? { byKey: chosen.byKey, keysByIndex: chosen.keysByIndex } : {}),
      ...(chosen.parallel ? { parallel: true } : {}),
      ...(keyText ? { fresh: true, keyText: true } : {}),
    });
    const settings = [
      ...(chosen.keysByIndex && !chosen.byKey ? ["jit = off"] : []),
      ...(chosen.parallel ? [`parallel_tuple_cost = ${FEW_ROWS_TUPLE_COST}`] : []),
    ];
    return { sql, keyText, settings };
  }

  async function* newRows(
    x: Extraction,
    opts: { fullRefresh?: boolean; remembered?: boolean; signal?: AbortSignal; whileRecording?: boolean },
  ) {
    const { sql, keyText, settings } = await newRowsSql(x, opts);
    yield* stream(sql, [], { signal: opts.signal, whileRecording: opts.whileRecording, keyText, settings });
  }

  return {
    dialect,
    newRows: (x, opts = {}) => newRows(x, opts),
    streamQuery(sql, bindings = [], opts = {}) {
      return stream(sql, bindings, { signal: opts.signal });
    },
    async countNewRows(x, opts = {}) {
      const rows = await query(`SELECT COUNT(*) AS n FROM (\n${(await newRowsSql(x, opts)).sql}\n) q`, []);
      return Number(rows[0]?.["n"] ?? 0);
    },
    state,
    async withLock(activation, stateSchema, fn) {
      const lock = await acquireLock(db, dialect, activation, stateSchema, run);
      try {
        return await fn();
      } finally {
        await lock.release();
      }
    },
    execute: (sql, bindings = []) => query(sql, bindings),
    close: async () => {
      await Promise.all(openStreams);
      await db.destroy();
    },
  };
}

type Runner = <T>(code: "connection" | "query", fn: () => Promise<T>) => Promise<T>;

/**
 * One run per activation at a time. PostgreSQL and MySQL hold a session lock on a dedicated
 * connection, released by the server if the process dies; SQLite records the holder's pid and
 * host, and a lock whose process is gone is taken over.
 */
async function acquireLock(
  db: Knex,
  dialect: Dialect,
  activation: string,
  stateSchema: string,
  run: Runner,
): Promise<{ release(): Promise<void> }> {
  const key = sha256(`ferry-lock:${stateSchema}:${activation}`);
  const held = () =>
    new WarehouseError("lock_held", `another run of "${activation}" is in progress (it holds the warehouse lock); try again when it ends`);
  if (dialect.name === "postgres" || dialect.name === "mysql") {
    const conn = await run("connection", () => db.client.acquireConnection());
    try {
      const sql = dialect.name === "postgres" ? "SELECT pg_try_advisory_lock(?::bigint) AS ok" : "SELECT GET_LOCK(?, 0) AS ok";
      const lockKey =
        dialect.name === "postgres" ? BigInt.asIntN(64, BigInt(`0x${key.slice(0, 16)}`)).toString() : `ferry_${key.slice(0, 40)}`;
      const result = await run("query", () => db.raw(sql, [lockKey]).connection(conn));
      const row = dialect.name === "postgres" ? (result as { rows: Row[] }).rows[0] : (result as Row[][])[0]?.[0];
      if (!(row?.["ok"] === true || Number(row?.["ok"]) === 1)) throw held();
      return {
        release: async () => {
          const unlock = dialect.name === "postgres" ? "SELECT pg_advisory_unlock(?::bigint)" : "SELECT RELEASE_LOCK(?)";
          await db
            .raw(unlock, [lockKey])
            .connection(conn)
            .catch(() => undefined);
          await db.client.releaseConnection(conn);
        },
      };
    } catch (error) {
      await db.client.releaseConnection(conn);
      throw error;
    }
  }
  const table = `${stateSchema}_locks`;
  const me = { activation, pid: process.pid, host: hostname(), acquired_at: Date.now() };
  // Single atomic statements (no read-then-write transaction, which WAL may refuse under
  // contention): claim a free lock, or take over a dead holder's by compare-and-swap.
  const claimed = await run("query", async () => {
    const inserted = (await db.raw(
      `INSERT INTO ${dialect.quote(table)} (activation, pid, host, acquired_at) VALUES (?, ?, ?, ?) ON CONFLICT (activation) DO NOTHING`,
      [me.activation, me.pid, me.host, me.acquired_at],
    )) as { changes?: number };
    if (inserted.changes === 1) return true;
    const holder = (await db(table).where({ activation }).first()) as { pid: number; host: string } | undefined;
    if (!holder) return false;
    if (holder.host !== me.host || processAlive(holder.pid)) return false;
    const taken = await db(table)
      .where({ activation, pid: holder.pid, host: holder.host })
      .update({ pid: me.pid, host: me.host, acquired_at: me.acquired_at });
    return taken === 1;
  });
  if (!claimed) throw held();
  return { release: () => run("query", () => db(table).where({ activation, pid: me.pid, host: me.host }).delete()).then(() => undefined) };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}
