import type { Dialect } from "../dialect.js";
import { WarehouseError } from "../errors.js";
import { qualifiedState, selectedColumns, type Extraction, type Relation, type StateTable } from "./extraction.js";

// Columns the new-rows query adds to the segment's. Only chunks.ts reads them back.
export const HIDDEN = {
  /** SHA-256 of the key. */
  key: "__ferry_pk",
  /** The key's text, for the reader to hash (Strategy `all` with `keyText`). */
  keyText: "__ferry_kt",
  probeA: "__ferry_pa",
  probeB: "__ferry_pb",
  reason: "__ferry_rr",
  fingerprint: "__ferry_rf",
} as const;

/**
 * How the new rows are told from the acknowledged ones; only speed depends on it, every
 * strategy finds the same rows.
 * - `all`: no joins (a full refresh, or an activation with no state). `keyText`: the rows carry
 *   their key's text for the reader to hash rather than its SHA-256 (bench/FINDINGS.md#key-text).
 * - `byKey`: the acknowledged keys are found by SHA-256, through the key's index where the
 *   planner likes (a source much smaller than its history).
 * - `byProbes`: by two cheap hashes, SHA-256 computed only for the rows they miss, which are then
 *   looked up by it; `keysByIndex`: one by one through the index; `parallel`: the probes'
 *   anti-join may run in parallel workers (bench/FINDINGS.md#probes).
 */
export type Strategy =
  { kind: "all"; keyText: boolean } | { kind: "byKey" } | { kind: "byProbes"; keysByIndex: boolean; parallel: boolean };

/** The strategy when nothing is known of sizes: by probes where the dialect has them. */
export const defaultStrategy = (dialect: Dialect): Strategy =>
  dialect.probes ? { kind: "byProbes", keysByIndex: false, parallel: false } : { kind: "byKey" };

/** The user's segment as a derived table, without a trailing semicolon. */
function sourceSql(dialect: Dialect, source: Extraction["source"]): string {
  if ("table" in source) return dialect.quote(source.table);
  if ("relation" in source) return relationSql(dialect, source.relation);
  const query = source.query.trim().replace(/;\s*$/, "");
  if (query.includes(";")) throw new WarehouseError("query", "the source query must be a single statement (no `;` inside)");
  return `(\n${query}\n)`;
}

/**
 * A relation's name as the warehouse resolves it. Only warehouses that read across databases
 * keep dbt's `database`; on the others it is the connection's own, and SQLite's default schema
 * is `main`. An unquoted part is folded as the warehouse would fold it, then quoted: the same
 * relation, and nothing the manifest holds is ever read as SQL.
 */
function relationSql(dialect: Dialect, r: Relation): string {
  const q = r.quoted ?? { database: true, schema: true, identifier: true };
  const defaultSchema = !dialect.schemas && (!r.schema || r.schema === "main");
  const parts: [string | null, boolean][] = [
    ...(dialect.crossDatabase ? [[r.database, q.database] as [string | null, boolean]] : []),
    ...(defaultSchema ? [] : [[r.schema, q.schema] as [string | null, boolean]]),
    [r.name, q.identifier],
  ];
  return parts
    .filter((p): p is [string, boolean] => !!p[0])
    .map(([part, quoted]) => dialect.quotePart(quoted ? part : dialect.fold(part)))
    .join(".");
}

/** The key parts as one text, NULL when any part is NULL (such rows are rejected). */
function keyText(dialect: Dialect, alias: string, primaryKey: readonly string[]): string {
  const parts = primaryKey.map((c) => dialect.text(`${alias}.${dialect.quote(c)}`));
  return parts.length === 1 ? parts[0]! : dialect.concat(parts.flatMap((p, i) => (i === 0 ? [p] : [dialect.separator, p])));
}

/**
 * An activation's name as a SQL string literal. The statements that hold a user's query take
 * no bindings: drivers read every `?` as a placeholder, also one inside the query's string
 * literals or PostgreSQL's jsonb `?` operator. The names Ferry accepts need no escaping;
 * anything else is refused rather than escaped per warehouse (MySQL reads backslashes).
 */
function activationLiteral(activation: string): string {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(activation)) {
    throw new WarehouseError("query", "activation names are letters, digits, - and _ (at most 128)");
  }
  return `'${activation}'`;
}

/**
 * The query selecting the rows still to send: the segment anti-joined, in the warehouse, with
 * the acknowledged conversions, and left-joined with the remembered rejections, whose reason
 * and fingerprint come along for the caller to tell a changed row from an unchanged one.
 * `remembered`: only the rows with a remembered rejection (true), or only those without
 * (false). It takes no bindings, and runs as written.
 */
export function renderNewRowsSql(
  dialect: Dialect,
  x: Extraction,
  strategy: Strategy = defaultStrategy(dialect),
  remembered?: boolean,
): string {
  const fence = dialect.fence ? ` ${dialect.fence}` : "";
  const acked = qualifiedState(dialect, x.stateSchema, "acked");
  const rejected = qualifiedState(dialect, x.stateSchema, "rejected");
  const unfenced = `FROM ${sourceSql(dialect, x.source)} s`;
  const source = `${unfenced}${fence}`;
  const list = selectedColumns(x)
    .map((c) => `s.${dialect.quote(c)}`)
    .join(", ");
  const pk = (alias: string) => `${dialect.sha256(keyText(dialect, alias, x.primaryKey))} AS ${HIDDEN.key}`;
  const activation = activationLiteral(x.activation);
  // Probes are selected whatever the strategy, to be recorded with the acknowledgement.
  const probes = dialect.probes?.(keyText(dialect, "s", x.primaryKey));
  const probed = probes ? `, ${probes[0]} AS ${HIDDEN.probeA}, ${probes[1]} AS ${HIDDEN.probeB}` : "";

  if (strategy.kind === "all") {
    const key = strategy.keyText ? `${keyText(dialect, "s", x.primaryKey)} AS ${HIDDEN.keyText}` : pk("s");
    return `SELECT ${list}${probed}, ${key}\n    ${source}`;
  }
  // The fence keeps the planner from inlining the key's hash into every condition that reads it.
  let keyed = `SELECT ${list}${probed}, ${pk("s")}\n    ${source}`;
  let byIndex = "";
  if (strategy.kind === "byProbes" && probes) {
    // In parallel, a fence above the probes would keep what reads them serial.
    const inner = strategy.parallel ? unfenced : source;
    keyed =
      `SELECT c.*, ${pk("c")}\n    FROM (\n      SELECT ${list}${probed}\n      ${inner}\n    ) c` +
      `\n    WHERE NOT EXISTS (SELECT 1 FROM ${acked} a WHERE a.activation = ${activation} AND a.probe_a = c.${HIDDEN.probeA} AND a.probe_b = c.${HIDDEN.probeB})${fence}`;
    // A fenced EXISTS is not turned into a join, so each key the probes missed is looked up by the index.
    if (strategy.keysByIndex) byIndex = fence;
  }
  const only = remembered === undefined ? "" : `\n  AND r.pk_hash IS ${remembered ? "NOT " : ""}NULL`;
  return [
    `SELECT k.*, r.reason AS ${HIDDEN.reason}, r.fingerprint AS ${HIDDEN.fingerprint}`,
    `FROM (\n    ${keyed}\n  ) k`,
    `LEFT JOIN ${rejected} r ON r.activation = ${activation} AND r.pk_hash = k.${HIDDEN.key}`,
    `WHERE NOT EXISTS (SELECT 1 FROM ${acked} a WHERE a.activation = ${activation} AND a.pk_hash = k.${HIDDEN.key}${byIndex})${only}`,
  ].join("\n");
}

/** Whether an activation has nothing acknowledged and nothing rejected (column `fresh`). Takes no bindings. */
export function renderFreshSql(dialect: Dialect, x: Pick<Extraction, "activation" | "stateSchema">): string {
  const activation = activationLiteral(x.activation);
  const none = (table: StateTable) =>
    `NOT EXISTS (SELECT 1 FROM ${qualifiedState(dialect, x.stateSchema, table)} t WHERE t.activation = ${activation})`;
  return `SELECT ${none("rejected")} AND ${none("acked")} AS fresh`;
}

/**
 * Statements whose planned row counts choose a strategy: the source, and this activation's
 * acknowledgements. Like the new rows' SQL, they take no bindings.
 */
export function renderSizeSql(dialect: Dialect, x: Extraction): { source: string; acked: string } {
  return {
    source: `SELECT 1 FROM ${sourceSql(dialect, x.source)} s`,
    acked: `SELECT 1 FROM ${qualifiedState(dialect, x.stateSchema, "acked")} a WHERE a.activation = ${activationLiteral(x.activation)}`,
  };
}
