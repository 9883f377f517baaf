import type { Dialect } from "./dialect.js";
import type { Extraction } from "./sql/extraction.js";

// The warehouse as the engine sees it. Every adapter (postgres/, mysql/, sqlite/, duckdb/,
// bigquery/, snowflake/) gives this interface, and testkit's conformance suite is what
// "supported" means: CONTRIBUTING.md says how to add one.

export type Row = Record<string, unknown>;

/** A rejection remembered for a row: its reason and the fingerprint stored with it. */
export interface Remembered {
  reason: string;
  fingerprint: string;
}

/**
 * New rows, as parallel arrays: `rows[i]` holds the segment's selected columns only, and the
 * other arrays what the warehouse knows of it. The engine never reads hidden columns.
 */
export interface RowChunk {
  readonly rows: Row[];
  /** SHA-256 (hex) of the row's key; null when a key part is NULL (such rows are rejected). */
  readonly keys: (string | null)[];
  /** The key's probes, opaque, to record with its acknowledgement (PostgreSQL only). */
  readonly probes: (string | undefined)[];
  /** The row's remembered rejection, for the caller to tell a changed row from an unchanged one. */
  readonly remembered: (Remembered | undefined)[];
}

export interface NewRowsOptions {
  /** Every row of the segment, acknowledged or not. */
  fullRefresh?: boolean;
  /** Only the rows with a remembered rejection (true), or only those without (false). */
  remembered?: boolean;
  signal?: AbortSignal;
  /** The caller records state while it reads (a run, not a preview). */
  whileRecording?: boolean;
}

export interface Warehouse {
  readonly dialect: Dialect;
  /** The rows not yet acknowledged, streamed in chunks with backpressure. */
  newRows(x: Extraction, options?: NewRowsOptions): AsyncIterable<RowChunk>;
  /** How many rows newRows would yield with the same options. */
  countNewRows(x: Extraction, options?: Pick<NewRowsOptions, "fullRefresh" | "remembered">): Promise<number>;
  /** A query's rows, streamed in chunks the same way, SQL run as written (the benchmark's floor). */
  streamQuery(sql: string, options?: { signal?: AbortSignal }): AsyncIterable<Row[]>;
  readonly state: StateStore;
  /** Runs `fn` holding the activation's lock; throws WarehouseError("lock_held") when another run has it. */
  withLock<T>(activation: string, stateSchema: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Administrative SQL (demo seeding, tests); returns rows for SELECTs. With bindings, each `?`
   * is one; without, the SQL runs exactly as written, `?` and all.
   */
  execute(sql: string, bindings?: readonly unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Rows per chunk yielded by newRows. */
  chunkSize?: number;
}

// Sync state lives in the warehouse beside the data: what TikTok acknowledged (key hash,
// event_id, event time), what was rejected (with a fingerprint Ferry computes, of the row's
// values or of the event TikTok refused), and a run ledger. No personal data is ever stored.

export interface AckedRow {
  pkHash: string;
  eventId: string;
  eventTime: number;
  /** The key's probes, from the chunk, where the dialect has them. */
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
  /** When a run first rejected the row. */
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

/** A run's acknowledgements, recorded in groups: one statement for several batches costs less a key. */
export interface AckLog {
  /** Checks and keeps a batch's acknowledgements; throws, keeping none, on a value it cannot record. */
  add(rows: readonly AckedRow[]): void;
  /** Acknowledgements kept and not yet recorded. */
  readonly size: number;
  /** Records every acknowledgement kept, and returns how many. What a failure leaves unrecorded is dropped: the caller counts it. */
  flush(): Promise<number>;
}

export interface StateStore {
  /** Creates the state schema and tables when missing (idempotent, safe to race). */
  ensure(stateSchema: string): Promise<void>;
  /** Whether the state's tables exist and this connection can see them, creating nothing. */
  exists(stateSchema: string): Promise<boolean>;
  /** Records a run; runs still marked running are marked interrupted (the caller holds the lock, so they are dead). */
  beginRun(stateSchema: string, run: RunRecord): Promise<void>;
  /** A log recording a run's acknowledgements in groups. */
  ackLog(stateSchema: string, activation: string, runId: string): AckLog;
  /** Records acknowledgements at once (an ackLog flushed after one add). */
  recordAcked(stateSchema: string, activation: string, runId: string, rows: readonly AckedRow[]): Promise<void>;
  /** Records rejections; of rows with the same key, the last is kept. */
  recordRejected(stateSchema: string, activation: string, runId: string, rows: readonly RejectedRow[]): Promise<void>;
  /** Fingerprints of the rows remembered as rejected for an empty key: the run tells them apart by their values. */
  keylessRejections(stateSchema: string, activation: string): Promise<Set<string>>;
  /** The activation's remembered rejections, oldest first; only those of `reason` when given. */
  rejections(stateSchema: string, activation: string, options?: { reason?: string }): Promise<RejectionRecord[]>;
  /** Refreshes the planner's statistics of the state tables, where the warehouse keeps them. */
  analyze(stateSchema: string): Promise<void>;
  /** Forgets rejections of rows that have been acknowledged since; returns how many. */
  pruneRejected(stateSchema: string, activation: string): Promise<number>;
  /** After a full refresh: forgets the earlier records of keys this run recorded again. Returns how many. */
  forgetSuperseded(stateSchema: string, activation: string, runId: string): Promise<number>;
  finishRun(stateSchema: string, runId: string, status: string, report: unknown): Promise<void>;
  show(stateSchema: string, activation: string, options?: { runs?: number }): Promise<StateSummary>;
  /** Forgets an activation's state: the next run sends every row again. Returns keys and rows forgotten. */
  reset(stateSchema: string, activation: string): Promise<{ acked: number; rejected: number; runs: number }>;
}
