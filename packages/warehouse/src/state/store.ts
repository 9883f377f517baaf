import type { AckedRow, AckLog, RejectionRecord, StateStore } from "../contract.js";
import type { Driver } from "../driver.js";
import { qualifiedState, stateTableName, type StateTable } from "../sql/extraction.js";
import { stateDdl } from "./ddl.js";

const ACKED_COLUMNS = ["activation", "pk_hash", "event_id", "event_time", "run_id", "acked_at"] as const;
const MERGED = ["fingerprint", "reason", "message", "run_id", "rejected_at"] as const;
const MESSAGE_MAX = 500;

/**
 * A run's acknowledgements kept in memory and written in one group at each flush, by `write`
 * (an INSERT, DuckDB's appender, BigQuery's load job), with the time they were recorded.
 */
export function bufferedAckLog(write: (rows: readonly AckedRow[], at: number) => Promise<unknown>): AckLog {
  let rows: AckedRow[] = [];
  return {
    get size() {
      return rows.length;
    },
    add(batch) {
      rows.push(...batch);
    },
    async flush() {
      const kept = rows;
      rows = [];
      if (kept.length === 0) return 0;
      await write(kept, Date.now());
      return kept.length;
    },
  };
}

/** Acknowledgements by multi-row INSERT; a keyed log skips a key the source repeated (counts are of distinct keys). */
const insertingAckLog = (driver: Driver, table: string, activation: string, runId: string): AckLog =>
  bufferedAckLog((rows, at) =>
    driver.insert(
      table,
      ACKED_COLUMNS,
      rows.map((r) => [activation, r.pkHash, r.eventId, r.eventTime, runId, at]),
      driver.dialect.unkeyedLog ? undefined : { key: ["activation", "pk_hash"] },
    ),
  );

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/**
 * The sync state over any driver: plain SQL with `?` bindings, each statement one the
 * conformance suite runs on every warehouse. Drivers specialise the bulk paths.
 */
export function createStateStore(driver: Driver, options: { lockTable: boolean }): StateStore {
  const { dialect } = driver;
  const t = (schema: string, name: StateTable) => qualifiedState(dialect, schema, name);
  const ensured = new Set<string>();

  const store: StateStore = {
    async exists(schema) {
      if (ensured.has(schema)) return true;
      for (const name of ["acked", "rejected"] as const) {
        const n = stateTableName(dialect, schema, name);
        if (!(await driver.tableExists(n.schema, n.table))) return false;
      }
      return true;
    },

    async ensure(schema) {
      if (ensured.has(schema)) return;
      // Another run created it between IF NOT EXISTS's check and its creation (DuckDB: a
      // write-write conflict): fine.
      const raced = (error: Error) => {
        if (!/already exists|exists already|duplicate|write-write conflict/i.test(error.message)) throw error;
      };
      if (dialect.schemas) await driver.createSchema(schema).catch(raced);
      for (const group of stateDdl(dialect, schema, options.lockTable)) await driver.batch(group).catch(raced);
      ensured.add(schema);
    },

    async beginRun(schema, r) {
      await driver.change(`UPDATE ${t(schema, "runs")} SET status = 'interrupted' WHERE activation = ? AND status = 'running'`, [
        r.activation,
      ]);
      await driver.insert(
        t(schema, "runs"),
        ["run_id", "activation", "started_at", "status", "dry_run"],
        [[r.runId, r.activation, r.startedAt, "running", r.dryRun]],
      );
    },

    ackLog(schema, activation, runId) {
      const target = { ...stateTableName(dialect, schema, "acked"), sql: t(schema, "acked") };
      if (driver.ackLog) return driver.ackLog({ schema: target.schema, table: target.table, sql: target.sql }, activation, runId);
      return insertingAckLog(driver, target.sql, activation, runId);
    },

    async recordAcked(schema, activation, runId, rows) {
      const log = store.ackLog(schema, activation, runId);
      log.add(rows);
      await log.flush();
    },

    async recordRejected(schema, activation, runId, given) {
      // One statement may not upsert a key twice (PostgreSQL refuses the whole statement).
      const rows = given.length > 1 ? [...new Map(given.map((r) => [r.pkHash, r])).values()] : given;
      if (rows.length === 0) return;
      const at = Date.now();
      await driver.insert(
        t(schema, "rejected"),
        ["activation", "pk_hash", ...MERGED, "first_rejected_at"],
        rows.map((r) => [activation, r.pkHash, r.fingerprint, r.reason, r.message?.slice(0, MESSAGE_MAX) ?? null, runId, at, at]),
        { key: ["activation", "pk_hash"], update: MERGED },
      );
    },

    async keylessRejections(schema, activation) {
      const rows = await driver.query(`SELECT fingerprint FROM ${t(schema, "rejected")} WHERE activation = ? AND reason = ?`, [
        activation,
        "missing_primary_key",
      ]);
      return new Set(rows.map((r) => String(r["fingerprint"])));
    },

    async rejections(schema, activation, options = {}) {
      const byReason = options.reason ? " AND reason = ?" : "";
      const rows = await driver.query(
        `SELECT pk_hash, reason, message, first_rejected_at, rejected_at FROM ${t(schema, "rejected")} WHERE activation = ?${byReason} ORDER BY rejected_at, pk_hash`,
        options.reason ? [activation, options.reason] : [activation],
      );
      return rows.map((r): RejectionRecord => ({
        pkHash: String(r["pk_hash"]),
        reason: String(r["reason"]),
        message: (r["message"] as string | null) ?? null,
        firstSeenAt: num(r["first_rejected_at"]),
        lastSeenAt: Number(r["rejected_at"]),
      }));
    },

    async analyze(schema) {
      await driver.analyze?.([t(schema, "acked"), t(schema, "rejected")]);
    },

    async pruneRejected(schema, activation) {
      // Rows rejected once and sent since (fixed upstream) are no longer rejections: one
      // set-based statement per run rather than a lookup per batch.
      return driver.change(
        `DELETE FROM ${t(schema, "rejected")} WHERE activation = ? AND pk_hash IN (SELECT a.pk_hash FROM ${t(schema, "acked")} a WHERE a.activation = ?)`,
        [activation, activation],
      );
    },

    async forgetSuperseded(schema, activation, runId) {
      if (!dialect.unkeyedLog) return 0;
      const acked = t(schema, "acked");
      if (driver.forgetSuperseded) return driver.forgetSuperseded(acked, activation, runId);
      return driver.change(
        `DELETE FROM ${acked} WHERE activation = ? AND run_id <> ? AND pk_hash IN (SELECT b.pk_hash FROM ${acked} b WHERE b.activation = ? AND b.run_id = ?)`,
        [activation, runId, activation, runId],
      );
    },

    async finishRun(schema, runId, status, report) {
      await driver.change(`UPDATE ${t(schema, "runs")} SET finished_at = ?, status = ?, report = ? WHERE run_id = ?`, [
        Date.now(),
        status,
        JSON.stringify(report),
        runId,
      ]);
    },

    async show(schema, activation, options = {}) {
      const runsLimit = Math.max(1, Math.trunc(options.runs ?? 10));
      const [acked] = await driver.query(
        `SELECT COUNT(DISTINCT pk_hash) AS n, MAX(acked_at) AS last FROM ${t(schema, "acked")} WHERE activation = ?`,
        [activation],
      );
      const rejected = await driver.query(
        `SELECT reason, COUNT(*) AS n FROM ${t(schema, "rejected")} WHERE activation = ? GROUP BY reason`,
        [activation],
      );
      const runs = await driver.query(
        `SELECT run_id, started_at, finished_at, status, report FROM ${t(schema, "runs")} WHERE activation = ? ORDER BY started_at DESC LIMIT ${runsLimit}`,
        [activation],
      );
      return {
        activation,
        acked: Number(acked?.["n"] ?? 0),
        lastAckedAt: num(acked?.["last"]),
        rejected: Object.fromEntries(rejected.map((r) => [String(r["reason"]), Number(r["n"])])),
        runs: runs.map((r) => ({
          runId: String(r["run_id"]),
          startedAt: Number(r["started_at"]),
          finishedAt: num(r["finished_at"]),
          status: String(r["status"]),
          report: typeof r["report"] === "string" ? (JSON.parse(r["report"]) as unknown) : null,
        })),
      };
    },

    async reset(schema, activation) {
      // Keys, not records: a key the source repeated may have two records in an unkeyed log.
      const [keys] = await driver.query(`SELECT COUNT(DISTINCT pk_hash) AS n FROM ${t(schema, "acked")} WHERE activation = ?`, [
        activation,
      ]);
      await driver.change(`DELETE FROM ${t(schema, "acked")} WHERE activation = ?`, [activation]);
      return {
        acked: Number(keys?.["n"] ?? 0),
        rejected: await driver.change(`DELETE FROM ${t(schema, "rejected")} WHERE activation = ?`, [activation]),
        runs: await driver.change(`DELETE FROM ${t(schema, "runs")} WHERE activation = ?`, [activation]),
      };
    },
  };
  return store;
}
