import type { Dialect } from "./dialect.js";
import { WarehouseError } from "./errors.js";

export const PK_COLUMN = "__ferry_pk";
export const FINGERPRINT_COLUMN = "__ferry_fp";

/** What to extract for one activation: everything the SQL needs, nothing it does not. */
export interface Extraction {
  activation: string;
  /** A query, a table name as written (dots qualify), or a relation resolved part by part (dbt). */
  source: { query: string } | { table: string } | { relation: Relation };
  primaryKey: readonly string[];
  /** Source columns the mapping reads (primary-key columns are added when absent). */
  columns: readonly string[];
  /** Digest of the mapping: a changed mapping retries remembered rejections. */
  mappingDigest: string;
  stateSchema: string;
}

/** A relation as dbt records it: each part one identifier, dots and all. */
export interface Relation {
  database: string | null;
  schema: string | null;
  name: string;
  /** Parts dbt leaves unquoted (default: all quoted), which the warehouse case-folds. */
  quoted?: { database: boolean; schema: boolean; identifier: boolean };
}

export type StateTable = "acked" | "rejected" | "runs" | "locks";

/** Where a state table lives: `schema.table`, or `schema_table` where there are no schemas. */
export function stateTableName(dialect: Dialect, stateSchema: string, table: StateTable): { schema?: string; table: string } {
  return dialect.schemas ? { schema: stateSchema, table } : { table: `${stateSchema}_${table}` };
}

/** The quoted, qualified name of a state table, for raw SQL. */
export function qualifiedState(dialect: Dialect, stateSchema: string, table: StateTable): string {
  const name = stateTableName(dialect, stateSchema, table);
  return name.schema ? `${dialect.quote(name.schema)}.${dialect.quote(name.table)}` : dialect.quote(name.table);
}

/** The user's segment as a derived table, without a trailing semicolon. */
function sourceSql(dialect: Dialect, source: Extraction["source"]): string {
  if ("table" in source) return dialect.quote(source.table);
  if ("relation" in source) return relationSql(dialect, source.relation);
  const query = source.query.trim().replace(/;\s*$/, "");
  if (query.includes(";")) throw new WarehouseError("query", "the source query must be a single statement (no `;` inside)");
  return `(\n${query}\n)`;
}

/**
 * A relation's name as the warehouse resolves it. Only Snowflake reads across databases; on
 * the others dbt's `database` is the connection's own, and SQLite's default schema is `main`.
 * An unquoted part is folded as the warehouse would fold it, then quoted: the same relation,
 * and nothing the manifest holds is ever read as SQL.
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

/** A relation's name for people (plans, PR comments): its parts, dotted. */
export const relationName = (r: Relation): string => [r.database, r.schema, r.name].filter(Boolean).join(".");

export const selectedColumns = (x: Pick<Extraction, "columns" | "primaryKey">): string[] => [...new Set([...x.columns, ...x.primaryKey])];

/** SHA-256 hex of the key parts as text, NULL when any part is NULL (such rows are rejected). */
function pkExpression(dialect: Dialect, alias: string, primaryKey: readonly string[]): string {
  const parts = primaryKey.map((c) => dialect.text(`${alias}.${dialect.quote(c)}`));
  return dialect.sha256(parts.length === 1 ? parts[0]! : dialect.concat(parts.flatMap((p, i) => (i === 0 ? [p] : [dialect.separator, p]))));
}

/** SHA-256 of the mapping digest and every extracted value, NULLs marked apart from ''. */
function fingerprintExpression(dialect: Dialect, alias: string, columns: readonly string[], mappingDigest: string): string {
  if (!/^[0-9a-f]{16,64}$/.test(mappingDigest)) throw new WarehouseError("query", "mapping digest must be hex");
  const parts = columns.map((c) => {
    const column = `${alias}.${dialect.quote(c)}`;
    return `CASE WHEN ${column} IS NULL THEN 'n' ELSE ${dialect.concat(["'v'", dialect.text(column)])} END`;
  });
  return dialect.sha256(dialect.concat([`'${mappingDigest}'`, ...parts.flatMap((p) => [dialect.separator, p])]));
}

/**
 * The query selecting the rows still to send: the segment anti-joined, in the warehouse, with
 * the acknowledged conversions and with rejections whose values have not changed since.
 */
export function renderNewRowsSql(
  dialect: Dialect,
  x: Extraction,
  options: { fullRefresh?: boolean } = {},
): { sql: string; bindings: string[] } {
  const columns = selectedColumns(x);
  const fence = dialect.fence ? ` ${dialect.fence}` : "";
  // Each hash is computed once a row, in a derived table, and the fingerprint only for rows not
  // yet acknowledged: the fences keep the planner from inlining the expressions into every
  // condition that reads them (PostgreSQL computed the key hash three times a row without).
  const keyed = [
    `SELECT ${columns.map((c) => `s.${dialect.quote(c)}`).join(", ")}, ${pkExpression(dialect, "s", x.primaryKey)} AS ${PK_COLUMN}`,
    `    FROM ${sourceSql(dialect, x.source)} s${fence}`,
  ].join("\n");
  const fingerprinted = (where: string) =>
    [
      `SELECT k.*, ${fingerprintExpression(dialect, "k", columns, x.mappingDigest)} AS ${FINGERPRINT_COLUMN}`,
      `  FROM (\n    ${keyed}\n  ) k${where}`,
    ].join("\n");
  const acked = qualifiedState(dialect, x.stateSchema, "acked");
  const rejected = qualifiedState(dialect, x.stateSchema, "rejected");
  if (options.fullRefresh) return { sql: fingerprinted(""), bindings: [] };
  const sql = [
    "SELECT f.*",
    `FROM (\n  ${fingerprinted(`\n  WHERE NOT EXISTS (SELECT 1 FROM ${acked} a WHERE a.activation = ? AND a.pk_hash = k.${PK_COLUMN})${fence}`)}\n) f`,
    `WHERE NOT EXISTS (SELECT 1 FROM ${rejected} r WHERE r.activation = ? AND r.pk_hash = f.${PK_COLUMN} AND r.fingerprint = f.${FINGERPRINT_COLUMN})`,
  ].join("\n");
  return { sql, bindings: [x.activation, x.activation] };
}
