import { finished } from "node:stream/promises";
import type Database from "better-sqlite3";
import type { Knex } from "knex";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { Dialect } from "./dialect.js";
import { WarehouseError } from "./errors.js";
import { qualifiedState, stateTableName, type StateTable } from "./sql.js";

// Sync state lives in the warehouse beside the data: what TikTok acknowledged (primary-key hash,
// event_id, event time), what was rejected (with a fingerprint Ferry computes: of the row's
// values, or of the event TikTok refused), and a run ledger.
// No personal data is ever stored: keys are hashed and reports are counts.
//
// On PostgreSQL the acknowledgements are an append-only log with a hash index on the key, not a
// table keyed by (activation, key): keeping a unique B-tree over random SHA-256 keys cost
// PostgreSQL about 2.5 of its 11 CPU-seconds in a million-row run (measured: 11.1-11.5 ->
// 8.3-9.0 s, with the hash index; without any index 6.4 s, but then a small source would be
// hash-joined with the whole history on every run).
// Nothing needs the uniqueness: the anti-join reads the log as a set, a run only records keys
// its new-rows query found missing (under the activation's lock), and a full refresh removes the
// records it superseded. A key the source repeats may be recorded twice, so counts are of
// distinct keys. Tables made by earlier versions keep their primary key and work unchanged.

export interface AckedRow {
  pkHash: string;
  eventId: string;
  eventTime: number;
  /** The key's probes, from `probeOf(row)`, where the dialect has them. */
  probe?: string | undefined;
}

export interface RejectedRow {
  pkHash: string;
  fingerprint: string;
  reason: string;
  /** TikTok's message for API refusals (never row values). */
  message?: string | undefined;
}

export interface RunRecord {
  runId: string;
  activation: string;
  startedAt: number;
  dryRun: boolean;
}

/** A remembered rejection, as `ferry state rejected` lists it: no value of the row, only its key's hash. */
export interface RejectionRecord {
  /** SHA-256 of the key; for a row with an empty key, "~" and the fingerprint of its values. */
  pkHash: string;
  reason: string;
  /** TikTok's message, for a refusal by the API. */
  message: string | null;
  /** When a run first rejected the row (null for rejections recorded before it was kept). */
  firstSeenAt: number | null;
  /** When a run last rejected it. */
  lastSeenAt: number;
}

export interface StateSummary {
  activation: string;
  acked: number;
  rejected: Record<string, number>;
  lastAckedAt: number | null;
  runs: { runId: string; startedAt: number; finishedAt: number | null; status: string; report: unknown }[];
}

/**
 * A run's acknowledgements, recorded in groups: one statement for several batches costs the
 * warehouse and Ferry less a key (see ACK_FLUSH in the engine's run).
 */
export interface AckLog {
  /**
   * Checks and keeps a batch's acknowledgements (PostgreSQL: encoded for COPY at once, so that
   * no row object outlives its batch). Throws, keeping none of them, on a value that would
   * shift COPY's columns.
   */
  add(rows: readonly AckedRow[]): void;
  /** Acknowledgements kept and not yet recorded. */
  readonly size: number;
  /** Records every acknowledgement kept, and returns how many. What a failure leaves unrecorded is dropped: the caller counts it. */
  flush(): Promise<number>;
}

export interface StateStore {
  /** Creates the state schema and tables when missing (idempotent, safe to race). */
  ensure(stateSchema: string): Promise<void>;
  /**
   * Whether the state's tables exist and this connection can see them, creating nothing: what a
   * read-only plan asks before it reads them.
   */
  exists(stateSchema: string): Promise<boolean>;
  /** Records a run; runs still marked running are marked interrupted (the caller holds the lock, so they are dead). */
  beginRun(stateSchema: string, run: RunRecord): Promise<void>;
  /** A log recording a run's acknowledgements in groups. */
  ackLog(stateSchema: string, activation: string, runId: string): AckLog;
  /** Records acknowledgements at once (an ackLog flushed after one add). */
  recordAcked(stateSchema: string, activation: string, runId: string, rows: readonly AckedRow[]): Promise<void>;
  /** Records rejections; of rows with the same key, the last is kept. */
  recordRejected(stateSchema: string, activation: string, runId: string, rows: readonly RejectedRow[]): Promise<void>;
  /**
   * Fingerprints of the rows remembered as rejected for an empty primary key: such a row has no
   * key for the new-rows query to join on, so the run tells it apart by its values.
   */
  keylessRejections(stateSchema: string, activation: string): Promise<Set<string>>;
  /** The activation's remembered rejections, oldest first; only those of `reason` when given. */
  rejections(stateSchema: string, activation: string, options?: { reason?: string }): Promise<RejectionRecord[]>;
  /**
   * Refreshes the planner's statistics of the state tables. After a large first run the next
   * run's anti-join otherwise plans against an "empty" acked table (measured on PostgreSQL at
   * 1M rows: 5.6 s instead of 3.3 s) until autovacuum catches up.
   */
  analyze(stateSchema: string): Promise<void>;
  /** Forgets rejections of rows that have been acknowledged since; returns how many. */
  pruneRejected(stateSchema: string, activation: string): Promise<number>;
  /**
   * After a full refresh: forgets the earlier records of keys this run recorded again, so the
   * log holds one record a key. Returns how many were forgotten (0 where a primary key already
   * kept one record a key).
   */
  forgetSuperseded(stateSchema: string, activation: string, runId: string): Promise<number>;
  finishRun(stateSchema: string, runId: string, status: string, report: unknown): Promise<void>;
  show(stateSchema: string, activation: string, options?: { runs?: number }): Promise<StateSummary>;
  /** Forgets an activation's state: the next run sends every row again. Returns keys and rows forgotten. */
  reset(stateSchema: string, activation: string): Promise<{ acked: number; rejected: number; runs: number }>;
}

/**
 * PostgreSQL's statistics target for the state's ANALYZE: a sample of 7,500 rows instead of
 * 30,000. What the next run's plan needs is the row count and each activation's share (its
 * most common values, 25 of them); keys are unique at any sample size. Measured on a million
 * acknowledgements: 45-65 ms against 200-220 ms (at 10: 20-27 ms).
 */
const ANALYZE_STATISTICS_TARGET = 25;

/** Lines a part of an acknowledgement COPY: about 50 KB. */
const COPY_ROWS = 250;
/** A run's first acknowledgement buffer: a group of five thousand keys, and a batch more. */
const ACK_BUFFER_BYTES = 2 * 1024 * 1024;
/**
 * Holds nothing COPY's text format would read as a delimiter, a line end or an escape (four
 * searches cost half of one regular expression's test, measured on a million rows).
 */
const plain = (value: string) => value.indexOf("\t") < 0 && value.indexOf("\n") < 0 && value.indexOf("\r") < 0 && value.indexOf("\\") < 0;

/**
 * The decimal text of a safe integer, made by toFixed rather than String or a template: those go
 * through V8's number-to-string cache, which holds each string past young-generation collections,
 * so a million distinct event times were promoted and died in the old generation (measured on a
 * million-row run: 58-62 MB promoted against 26-27 MB, six full collections against four; peak
 * RSS 189-196 against 182-186 MB in five alternating rounds). The same text for a safe integer.
 */
const decimal = (n: number) => n.toFixed(0);

const refusal = () => new WarehouseError("query", "refusing to record an acknowledgement with an unexpected key, event id, time or probe");

type Runner = <T>(code: "connection" | "query", fn: () => Promise<T>) => Promise<T>;
/** Runs `fn` on a connection of the pool, given back however it ends. */
export type WithConnection = <C, T>(fn: (conn: C) => T | Promise<T>) => Promise<T>;

export function createStateStore(db: Knex, dialect: Dialect, run: Runner, withConnection: WithConnection): StateStore {
  const table = (schema: string, name: StateTable) => {
    const t = stateTableName(dialect, schema, name);
    return t.schema ? db.withSchema(t.schema).table(t.table) : db.table(t.table);
  };
  const ensured = new Set<string>();
  /** State schema and activation pairs whose acknowledgements have met an existing key. */
  const conflicting = new Set<string>();
  /** Acknowledgements kept as a log without a unique key (see the top of this file). */
  const unkeyed = dialect.name === "postgres";
  // Insert in slices that stay under the dialect's bound-parameter limit.
  const slices = <T>(rows: readonly T[], columns: number) => {
    const size = Math.max(1, Math.floor(dialect.maxBindings / columns / 2));
    const out: T[][] = [];
    for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
    return out;
  };

  /**
   * PostgreSQL: a batch's acknowledgements as lines of COPY's text format, joined COPY_ROWS at a
   * time (one string a batch would be a large object, which V8 frees only in full collections:
   * see bodyFor in the TikTok client). A value holding a tab, a line break or a backslash would
   * shift the columns or be read as an escape, so such values are refused, checked per value.
   */
  function encodeAcked(activation: string, runId: string, rows: readonly AckedRow[]): string[] {
    const safe = rows.every(
      (r) =>
        r.pkHash.length === 64 &&
        plain(r.pkHash) &&
        r.eventId.length > 0 &&
        plain(r.eventId) &&
        Number.isSafeInteger(r.eventTime) &&
        (r.probe === undefined || plain(r.probe)),
    );
    if (!safe) throw refusal();
    const fixed = `\t${runId}\t${Date.now()}\t`;
    const parts: string[] = [];
    for (let i = 0; i < rows.length; i += COPY_ROWS) {
      const lines = rows.slice(i, i + COPY_ROWS).map((r) => {
        const probe = r.probe === undefined ? "\\N\t\\N" : r.probe.replace("/", "\t");
        return `${activation}\t${r.pkHash}\t${r.eventId}\t${decimal(r.eventTime)}${fixed}${probe}\n`;
      });
      parts.push(lines.join(""));
    }
    return parts;
  }

  /** The acknowledgements encodeAcked encoded, read back (for a table made by an earlier version: rare). */
  const decodeAcked = (data: Buffer): AckedRow[] =>
    data
      .toString()
      .split("\n")
      .slice(0, -1)
      .map((line) => {
        const [, pkHash, eventId, eventTime, , , probeA, probeB] = line.split("\t") as string[];
        return {
          pkHash: pkHash!,
          eventId: eventId!,
          eventTime: Number(eventTime),
          probe: probeA === "\\N" ? undefined : `${probeA}/${probeB}`,
        };
      });

  /**
   * PostgreSQL: acknowledgements by COPY, which the server parses for about two thirds of the
   * CPU of an INSERT of the same rows sent as lists (measured, 300k keys in batches of a
   * thousand: 0.63-0.68 against 0.91-0.93 CPU-s), sent as one buffer: each write is a message
   * and a system call of its own.
   */
  async function copyAcked(schema: string, data: Buffer) {
    await withConnection(async (conn: pg.PoolClient) => {
      const copy = conn.query(
        copyFrom(
          `COPY ${qualifiedState(dialect, schema, "acked")} (activation, pk_hash, event_id, event_time, run_id, acked_at, probe_a, probe_b) FROM STDIN`,
        ),
      );
      const done = finished(copy);
      copy.end(data);
      await done;
    });
  }

  /**
   * PostgreSQL: a plain COPY, the log having no unique key. On a table made by an earlier
   * version (primary key on activation and key), a key recorded twice (after --full-refresh or
   * when the source repeats a primary key) conflicts: the first conflict switches this
   * activation to INSERT … ON CONFLICT for the rest of the process, whose speculative insertion
   * costs a quarter more (measured: 2.4 against 1.8 CPU-s for 300k keys). The failed statement
   * wrote nothing; the server logs it once, naming a key hash, never values.
   */
  async function recordEncoded(schema: string, activation: string, runId: string, data: Buffer) {
    const scope = `${schema}\u0000${activation}`;
    if (!conflicting.has(scope)) {
      try {
        await copyAcked(schema, data);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== "23505") throw error;
        conflicting.add(scope);
      }
    }
    const rows = decodeAcked(data);
    // Each list travels as one text parameter that the server splits on commas, so no value is
    // parsed as SQL or as an array literal; a comma would shift the lists.
    if (rows.some((r) => r.pkHash.includes(",") || r.eventId.includes(",") || r.probe?.includes(","))) throw refusal();
    const t = stateTableName(dialect, schema, "acked");
    await db.raw(
      `INSERT INTO ??.?? (activation, pk_hash, event_id, event_time, run_id, acked_at, probe_a, probe_b)
       SELECT ?, u.pk, u.id, u.t, ?, ?, NULLIF(split_part(u.pr, '/', 1), '')::bigint, NULLIF(split_part(u.pr, '/', 2), '')::bigint
       FROM unnest(string_to_array(?, ','), string_to_array(?, ','), string_to_array(?, ',')::bigint[], string_to_array(?, ','))
         AS u(pk, id, t, pr)
       ON CONFLICT (activation, pk_hash) DO NOTHING`,
      [
        t.schema!,
        t.table,
        activation,
        runId,
        Date.now(),
        rows.map((r) => r.pkHash).join(","),
        rows.map((r) => r.eventId).join(","),
        rows.map((r) => r.eventTime).join(","),
        rows.map((r) => r.probe ?? "").join(","),
      ],
    );
  }

  /** Elsewhere: the rows, inserted with parameters. */
  async function insertAcked(schema: string, activation: string, runId: string, rows: readonly AckedRow[]) {
    const at = Date.now();
    if (dialect.name === "sqlite") {
      await insertSqlite(
        schema,
        "acked",
        ["activation", "pk_hash", "event_id", "event_time", "run_id", "acked_at"],
        rows.map((r) => [activation, r.pkHash, r.eventId, r.eventTime, runId, at]),
        "ON CONFLICT (activation, pk_hash) DO NOTHING",
      );
      return;
    }
    for (const slice of slices(rows, 6)) {
      await table(schema, "acked")
        .insert(
          slice.map((r) => ({
            activation,
            pk_hash: r.pkHash,
            event_id: r.eventId,
            event_time: r.eventTime,
            run_id: runId,
            acked_at: at,
          })),
        )
        .onConflict(["activation", "pk_hash"])
        .ignore();
    }
  }

  function ackLog(schema: string, activation: string, runId: string): AckLog {
    const copying = dialect.name === "postgres";
    if (copying && !(plain(activation) && plain(runId))) throw refusal();
    // PostgreSQL: the encoded lines go into a buffer kept for the whole run, and handed back
    // once its COPY is done. A buffer a part, held for a group, outlived a young-generation
    // collection and was freed only in a full one: peak RSS grew with the run (measured).
    let buffer: Buffer = Buffer.allocUnsafeSlow(0);
    const spare: Buffer[] = [];
    let used = 0;
    let rows: AckedRow[] = [];
    let size = 0;
    const write = (text: string) => {
      const bytes = Buffer.byteLength(text);
      if (used + bytes > buffer.length) {
        const larger = Buffer.allocUnsafeSlow(Math.max(2 * buffer.length, used + bytes, ACK_BUFFER_BYTES));
        buffer.copy(larger, 0, 0, used);
        buffer = larger;
      }
      used += buffer.write(text, used);
    };
    return {
      get size() {
        return size;
      },
      add(batch) {
        if (copying) for (const part of encodeAcked(activation, runId, batch)) write(part);
        else rows.push(...batch);
        size += batch.length;
      },
      async flush() {
        // Nothing kept: the buffer stays, rather than going to waste for a spare or a new one.
        if (size === 0) return 0;
        const [kept, keptBytes, keptRows, n] = [buffer, used, rows, size];
        [buffer, used, rows, size] = [spare.pop() ?? Buffer.allocUnsafeSlow(0), 0, [], 0];
        if (!copying) {
          await run("query", () => insertAcked(schema, activation, runId, keptRows));
          return n;
        }
        await run("query", () => recordEncoded(schema, activation, runId, kept.subarray(0, keptBytes)));
        // Written and taken by the server: the buffer may hold the next group. (After a failure
        // its bytes may still be on their way to a connection that discards them: not reused.)
        spare.push(kept);
        return n;
      },
    };
  }

  /**
   * SQLite: one prepared statement run per row in one transaction. knex's multi-row insert is
   * a compound SELECT of up to 500 terms that SQLite parses and plans for every slice
   * (measured at 100k rows: the acknowledgement inserts took 1.8 of the run's 3.8 s).
   */
  async function insertSqlite(schema: string, name: StateTable, columns: readonly string[], rows: unknown[][], conflict: string) {
    await withConnection((conn: Database.Database) => {
      const insert = conn.prepare(
        `INSERT INTO ${qualifiedState(dialect, schema, name)} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")}) ${conflict}`,
      );
      conn.transaction(() => {
        for (const values of rows) insert.run(...values);
      })();
    });
  }

  async function createTable(schema: string, name: StateTable, build: (t: Knex.CreateTableBuilder) => void) {
    const t = stateTableName(dialect, schema, name);
    const builder = t.schema ? db.schema.withSchema(t.schema) : db.schema;
    if (await builder.hasTable(t.table)) return;
    try {
      // A table and its index are made together or not at all where DDL is transactional: a
      // crash between them would leave a table that is never indexed.
      const create = (k: Knex) => (t.schema ? k.schema.withSchema(t.schema) : k.schema).createTable(t.table, build);
      if (dialect.name === "postgres") await db.transaction((trx) => create(trx));
      else await create(db);
    } catch (error) {
      // Another run created it between our check and our CREATE: fine.
      if (!/already exists|exists already|duplicate/i.test(String((error as Error).message))) throw error;
    }
  }

  /**
   * Gives an acknowledgement table made by an earlier version its probe columns (its rows keep
   * none: the new-rows query finds them by SHA-256). Checked before altering: ALTER TABLE waits
   * for every run reading the table, and would make each new run wait behind it.
   */
  async function addProbes(schema: string) {
    const t = stateTableName(dialect, schema, "acked");
    const present = await db.raw<{ rows: { n: number }[] }>(
      `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = ? AND table_name = ? AND column_name IN ('probe_a', 'probe_b')`,
      [t.schema!, t.table],
    );
    if (present.rows[0]?.n === 2) return;
    await db.raw("ALTER TABLE ??.?? ADD COLUMN IF NOT EXISTS probe_a bigint, ADD COLUMN IF NOT EXISTS probe_b bigint", [
      t.schema!,
      t.table,
    ]);
  }

  return {
    async exists(schema) {
      if (ensured.has(schema)) return true;
      return run("query", async () => {
        for (const name of ["acked", "rejected"] as const) {
          const t = stateTableName(dialect, schema, name);
          const found = await (t.schema ? db.schema.withSchema(t.schema) : db.schema).hasTable(t.table);
          if (!found) return false;
        }
        return true;
      });
    },

    async ensure(schema) {
      if (ensured.has(schema)) return;
      await run("query", async () => {
        if (dialect.name === "postgres") {
          // IF NOT EXISTS is not safe to race: the loser of two concurrent creations gets a
          // unique violation on the catalog (seen when two runs start on a new warehouse).
          await db.raw("CREATE SCHEMA IF NOT EXISTS ??", [schema]).catch((error: { code?: string }) => {
            if (error.code !== "23505") throw error;
          });
        }
        if (dialect.name === "mysql") await db.raw("CREATE DATABASE IF NOT EXISTS ??", [schema]);
        await createTable(schema, "acked", (t) => {
          t.string("activation", 128).notNullable();
          t.string("pk_hash", 64).notNullable();
          t.string("event_id", 200).notNullable();
          t.bigInteger("event_time").notNullable();
          t.string("run_id", 40).notNullable();
          t.bigInteger("acked_at").notNullable();
          // The log has a hash index (see the top of this file): it serves the anti-join of a
          // small source (one probe a row) and the pruning of rejections; a large source is
          // hash-joined without it. Elsewhere the primary key stays: without it SQLite scans the
          // table for every source row (measured), and MySQL's anti-join relies on an index too.
          if (unkeyed) t.index(["pk_hash"], "acked_pk_hash", "hash");
          else t.primary(["activation", "pk_hash"]);
          // No index on the probes: they serve a hash join over the whole log, used only when
          // the source is not much smaller than it (see newRows); a second hash index would
          // cost as much again as the first at every insert (measured).
          if (dialect.probes) {
            t.bigInteger("probe_a");
            t.bigInteger("probe_b");
          }
        });
        if (dialect.probes) await addProbes(schema);
        await createTable(schema, "rejected", (t) => {
          t.string("activation", 128).notNullable();
          t.string("pk_hash", 64).notNullable();
          t.string("fingerprint", 64).notNullable();
          t.string("reason", 40).notNullable();
          t.string("message", 500);
          t.string("run_id", 40).notNullable();
          t.bigInteger("rejected_at").notNullable();
          // Kept as the row is rejected again: when it first was (rejected_at is the last time).
          t.bigInteger("first_rejected_at");
          t.primary(["activation", "pk_hash"]);
        });
        await createTable(schema, "runs", (t) => {
          t.string("run_id", 40).primary();
          t.string("activation", 128).notNullable().index();
          t.bigInteger("started_at").notNullable();
          t.bigInteger("finished_at");
          t.string("status", 20).notNullable();
          t.boolean("dry_run").notNullable();
          t.text("report");
        });
        if (dialect.name === "sqlite") {
          await createTable(schema, "locks", (t) => {
            t.string("activation", 128).primary();
            t.integer("pid").notNullable();
            t.string("host", 255).notNullable();
            t.bigInteger("acquired_at").notNullable();
          });
        }
      });
      ensured.add(schema);
    },

    async beginRun(schema, r) {
      await run("query", async () => {
        await table(schema, "runs").where({ activation: r.activation, status: "running" }).update({ status: "interrupted" });
        await table(schema, "runs").insert({
          run_id: r.runId,
          activation: r.activation,
          started_at: r.startedAt,
          status: "running",
          dry_run: r.dryRun,
        });
      });
    },

    ackLog,

    async recordAcked(schema, activation, runId, rows) {
      const log = ackLog(schema, activation, runId);
      log.add(rows);
      await log.flush();
    },

    async analyze(schema) {
      const names = [qualifiedState(dialect, schema, "acked"), qualifiedState(dialect, schema, "rejected")];
      await run("query", async () => {
        if (dialect.name === "postgres") {
          // SET LOCAL: the target ends with the transaction, on the pooled connection too.
          await db.transaction(async (trx) => {
            await trx.raw(`SET LOCAL default_statistics_target = ${ANALYZE_STATISTICS_TARGET}`);
            await trx.raw(`ANALYZE ${names.join(", ")}`);
          });
        } else if (dialect.name === "mysql") await db.raw(`ANALYZE TABLE ${names.join(", ")}`);
        else for (const name of names) await db.raw(`ANALYZE ${name}`);
      });
    },

    async pruneRejected(schema, activation) {
      // Rows rejected once and sent since (fixed upstream) are no longer rejections: one
      // set-based statement per run rather than a lookup per batch.
      const name = (t: StateTable) => qualifiedState(dialect, schema, t);
      const self = dialect.quote(stateTableName(dialect, schema, "rejected").table);
      const result = await run("query", () =>
        db.raw(
          `DELETE FROM ${name("rejected")} WHERE activation = ? AND EXISTS (SELECT 1 FROM ${name("acked")} a WHERE a.activation = ${self}.activation AND a.pk_hash = ${self}.pk_hash)`,
          [activation],
        ),
      );
      const r = result as { rowCount?: number; changes?: number; affectedRows?: number } | { affectedRows?: number }[];
      return Array.isArray(r) ? Number(r[0]?.affectedRows ?? 0) : Number(r.rowCount ?? r.changes ?? 0);
    },

    async forgetSuperseded(schema, activation, runId) {
      if (!unkeyed) return 0;
      const acked = qualifiedState(dialect, schema, "acked");
      // One hash join over the activation's records. Of a key this run recorded twice (the
      // source repeated it), one copy stays.
      const result = await run("query", () =>
        db.raw(
          `DELETE FROM ${acked} a USING ${acked} b
           WHERE a.activation = ? AND b.activation = ? AND b.run_id = ? AND b.pk_hash = a.pk_hash
             AND (a.run_id <> b.run_id OR a.ctid < b.ctid)`,
          [activation, activation, runId],
        ),
      );
      return Number((result as { rowCount?: number }).rowCount ?? 0);
    },

    async keylessRejections(schema, activation) {
      const rows = await run("query", () =>
        table(schema, "rejected").select("fingerprint").where({ activation, reason: "missing_primary_key" }),
      );
      return new Set((rows as { fingerprint: string }[]).map((r) => r.fingerprint));
    },

    async rejections(schema, activation, options = {}) {
      const rows = (await run("query", () =>
        table(schema, "rejected")
          .select("pk_hash", "reason", "message", "first_rejected_at", "rejected_at")
          .where({ activation, ...(options.reason ? { reason: options.reason } : {}) })
          .orderBy([{ column: "rejected_at" }, { column: "pk_hash" }]),
      )) as { pk_hash: string; reason: string; message: string | null; first_rejected_at: unknown; rejected_at: unknown }[];
      return rows.map((r) => ({
        pkHash: r.pk_hash,
        reason: r.reason,
        message: r.message,
        firstSeenAt: r.first_rejected_at == null ? null : Number(r.first_rejected_at),
        lastSeenAt: Number(r.rejected_at),
      }));
    },

    async recordRejected(schema, activation, runId, given) {
      // One statement may not upsert a key twice (PostgreSQL refuses the whole statement).
      const rows = given.length > 1 ? [...new Map(given.map((r) => [r.pkHash, r])).values()] : given;
      if (rows.length === 0) return;
      const at = Date.now();
      const merged = ["fingerprint", "reason", "message", "run_id", "rejected_at"];
      await run("query", async () => {
        if (dialect.name === "sqlite") {
          await insertSqlite(
            schema,
            "rejected",
            ["activation", "pk_hash", ...merged, "first_rejected_at"],
            rows.map((r) => [activation, r.pkHash, r.fingerprint, r.reason, r.message?.slice(0, 500) ?? null, runId, at, at]),
            `ON CONFLICT (activation, pk_hash) DO UPDATE SET ${merged.map((c) => `${c} = excluded.${c}`).join(", ")}`,
          );
          return;
        }
        for (const slice of slices(rows, 7)) {
          await table(schema, "rejected")
            .insert(
              slice.map((r) => ({
                activation,
                pk_hash: r.pkHash,
                fingerprint: r.fingerprint,
                reason: r.reason,
                message: r.message?.slice(0, 500) ?? null,
                run_id: runId,
                rejected_at: at,
                first_rejected_at: at,
              })),
            )
            .onConflict(["activation", "pk_hash"])
            .merge(merged);
        }
      });
    },

    async finishRun(schema, runId, status, report) {
      await run("query", () =>
        table(schema, "runs")
          .where("run_id", runId)
          .update({ finished_at: Date.now(), status, report: JSON.stringify(report) }),
      );
    },

    async show(schema, activation, options = {}) {
      return run("query", async () => {
        const [acked] = await table(schema, "acked")
          .where("activation", activation)
          .countDistinct({ n: "pk_hash" })
          .max({ last: "acked_at" });
        const rejected = (await table(schema, "rejected")
          .where("activation", activation)
          .select("reason")
          .count({ n: "*" })
          .groupBy("reason")) as { reason: string; n: number | string }[];
        const runs = (await table(schema, "runs")
          .where("activation", activation)
          .orderBy("started_at", "desc")
          .limit(options.runs ?? 10)) as {
          run_id: string;
          started_at: number | string;
          finished_at: number | string | null;
          status: string;
          report: string | null;
        }[];
        return {
          activation,
          acked: Number((acked as { n?: unknown } | undefined)?.n ?? 0),
          lastAckedAt: (acked as { last?: unknown } | undefined)?.last == null ? null : Number((acked as { last: unknown }).last),
          rejected: Object.fromEntries(rejected.map((r) => [r.reason, Number(r.n)])),
          runs: runs.map((r) => ({
            runId: r.run_id,
            startedAt: Number(r.started_at),
            finishedAt: r.finished_at === null ? null : Number(r.finished_at),
            status: r.status,
            report: r.report ? JSON.parse(r.report) : null,
          })),
        };
      });
    },

    async reset(schema, activation) {
      return run("query", async () => {
        // Keys, not records: a key the source repeated may have two records (see the top).
        const [keys] = await table(schema, "acked").where("activation", activation).countDistinct({ n: "pk_hash" });
        await table(schema, "acked").where("activation", activation).delete();
        return {
          acked: Number((keys as { n?: unknown } | undefined)?.n ?? 0),
          rejected: await table(schema, "rejected").where("activation", activation).delete(),
          runs: await table(schema, "runs").where("activation", activation).delete(),
        };
      });
    },
  };
}
