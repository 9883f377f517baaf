import type { AckLog, NewRowsOptions, Row, RowChunk } from "./contract.js";
import type { Dialect } from "./dialect.js";
import type { Extraction } from "./sql/extraction.js";
import type { Strategy } from "./sql/render.js";

/**
 * The adapter contract: what one warehouse's driver gives the shared parts (warehouse.ts, the
 * state store, the lock table). Each method throws WarehouseError only, its message free of
 * credentials and of row values. Optional methods specialise what has a shared default.
 */
export interface Driver {
  readonly dialect: Dialect;
  /** Rows of one statement. With bindings, each `?` is one; without, the SQL runs as written. */
  query(sql: string, bindings?: readonly unknown[]): Promise<Row[]>;
  /** How many rows a statement (INSERT, UPDATE, DELETE, MERGE) changed. */
  change(sql: string, bindings?: readonly unknown[]): Promise<number>;
  /** A statement's rows in chunks of about `size`, with backpressure; the SQL runs as written. */
  stream(sql: string, options: StreamOptions): AsyncIterable<Row[]>;
  /** Statements in one transaction where DDL is transactional; one after another elsewhere. */
  batch(statements: readonly string[]): Promise<void>;
  /** Inserts rows in bulk, the way the warehouse takes them best; returns how many rows it wrote. */
  insert(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[], conflict?: Conflict): Promise<number>;
  /** Creates a state schema if missing, safe to race. */
  createSchema(schema: string): Promise<void>;
  /** Whether a table exists and this connection may see it. */
  tableExists(schema: string | undefined, table: string): Promise<boolean>;
  /** The new rows' chunks read directly from the warehouse's own format (default: stream, then split). */
  newRows?(sql: string, columns: readonly string[], options: StreamOptions): AsyncIterable<RowChunk>;
  /** Chooses how the new rows are found, from what the warehouse knows of sizes (default: defaultStrategy). */
  plan?(x: Extraction, options: Pick<NewRowsOptions, "fullRefresh" | "remembered">): Promise<Planned>;
  /** A run's acknowledgements, recorded the warehouse's fastest way (default: insert in groups). */
  ackLog?(table: StateTarget, activation: string, runId: string): AckLog;
  /** Refreshes planner statistics, where the warehouse keeps them. */
  analyze?(tables: readonly string[]): Promise<void>;
  /** Forgets the earlier records of keys a run recorded again (default: a DELETE on run ids). */
  forgetSuperseded?(table: string, activation: string, runId: string): Promise<number>;
  /** A lock held by the server for the session (default: a row in the state's lock table). */
  lock?(key: string): Promise<Lock | undefined>;
  close(): Promise<void>;
}

/** A state table, by name and as SQL names it. */
export interface StateTarget {
  schema: string | undefined;
  table: string;
  /** Quoted and qualified, for SQL. */
  sql: string;
}

export interface StreamOptions {
  size: number;
  signal?: AbortSignal | undefined;
  /** The caller records state while it reads (see sqlite/driver.ts). */
  whileRecording?: boolean | undefined;
  /** Warehouse settings for this statement only (PostgreSQL). */
  settings?: readonly string[] | undefined;
}

export interface Planned {
  strategy: Strategy;
  /** Settings the statement runs under (see postgres/planner.ts). */
  settings?: readonly string[];
}

/** A keyed insert meeting an existing key: keep the old row, or update these columns. */
export type Conflict = { key: readonly string[]; update?: readonly string[] };

export interface Lock {
  release(): Promise<void>;
}
