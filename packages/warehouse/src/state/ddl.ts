import type { Dialect } from "../dialect.js";
import { qualifiedState, stateTableName, type StateTable } from "../sql/extraction.js";

/**
 * The state tables' CREATE statements, each safe to repeat; a table and its index are one
 * group, run in one transaction where DDL is transactional.
 */
export function stateDdl(dialect: Dialect, schema: string, lockTable: boolean): string[][] {
  const { string, bigint, boolean, text } = dialect.types;
  const name = (t: StateTable) => qualifiedState(dialect, schema, t);
  // BigQuery takes keys only as NOT ENFORCED; Snowflake records them and enforces none.
  const key = (...columns: string[]) => `PRIMARY KEY (${columns.join(", ")})${dialect.name === "bigquery" ? " NOT ENFORCED" : ""}`;
  const create = (t: StateTable, columns: string[]) => `CREATE TABLE IF NOT EXISTS ${name(t)} (\n  ${columns.join(",\n  ")}\n)`;
  // Index names are the database's on SQLite, the schema's elsewhere; `suffix` as earlier versions named them.
  const index = (t: StateTable, column: string, suffix: string, using = "") =>
    `CREATE INDEX IF NOT EXISTS ${dialect.quotePart(`${stateTableName(dialect, schema, t).table}_${suffix}`)} ON ${name(t)}${using} (${column})`;
  const indexes = dialect.name !== "bigquery" && dialect.name !== "snowflake";
  const mysql = dialect.name === "mysql";

  const acked = [
    create("acked", [
      `activation ${string(128)} NOT NULL`,
      `pk_hash ${string(64)} NOT NULL`,
      `event_id ${string(200)} NOT NULL`,
      `event_time ${bigint} NOT NULL`,
      `run_id ${string(40)} NOT NULL`,
      `acked_at ${bigint} NOT NULL`,
      ...(dialect.probes ? [`probe_a ${bigint}`, `probe_b ${bigint}`] : []),
      ...(dialect.unkeyedLog ? [] : [key("activation", "pk_hash")]),
    ]),
    // PostgreSQL's log has a hash index on the key (bench/FINDINGS.md#acked-log); no index on
    // the probes, which serve a hash join over the whole log.
    ...(dialect.name === "postgres" ? [index("acked", "pk_hash", "pk_hash", " USING hash")] : []),
  ];
  const rejected = [
    create("rejected", [
      `activation ${string(128)} NOT NULL`,
      `pk_hash ${string(64)} NOT NULL`,
      `fingerprint ${string(64)} NOT NULL`,
      `reason ${string(40)} NOT NULL`,
      `message ${string(500)}`,
      `run_id ${string(40)} NOT NULL`,
      `rejected_at ${bigint} NOT NULL`,
      // Kept as the row is rejected again: when it first was (rejected_at is the last time).
      `first_rejected_at ${bigint}`,
      key("activation", "pk_hash"),
    ]),
  ];
  const runs = [
    create("runs", [
      `run_id ${string(40)} NOT NULL`,
      `activation ${string(128)} NOT NULL`,
      `started_at ${bigint} NOT NULL`,
      `finished_at ${bigint}`,
      `status ${string(20)} NOT NULL`,
      `dry_run ${boolean} NOT NULL`,
      `report ${text}`,
      key("run_id"),
      // MySQL has no CREATE INDEX IF NOT EXISTS.
      ...(mysql ? ["INDEX runs_activation_index (activation)"] : []),
    ]),
    ...(indexes && !mysql ? [index("runs", "activation", "activation_index")] : []),
  ];
  const locks = [
    create("locks", [
      `activation ${string(128)} NOT NULL`,
      `pid ${bigint} NOT NULL`,
      `host ${string(255)} NOT NULL`,
      `acquired_at ${bigint} NOT NULL`,
      key("activation"),
    ]),
  ];
  return [acked, rejected, runs, ...(lockTable ? [locks] : [])];
}
