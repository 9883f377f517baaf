import type { Dialect } from "./dialect.js";
import { WarehouseError } from "./errors.js";

export const PK_COLUMN = "__ferry_pk";
/** The key's text, for the reader to hash into PK_COLUMN (see renderNewRowsSql's keyText). */
export const KEY_TEXT_COLUMN = "__ferry_kt";
const PROBE_COLUMNS = ["__ferry_pa", "__ferry_pb"] as const;
const REMEMBERED_COLUMNS = ["__ferry_rr", "__ferry_rf"] as const;

/**
 * The key's probes as one opaque value for `AckedRow.probe`, from a row of the new-rows query;
 * undefined where the dialect has none.
 */
export function probeOf(row: Record<string, unknown>): string | undefined {
  const a = row[PROBE_COLUMNS[0]];
  if (a === undefined || a === null) return undefined;
  const probe = `${a as string}/${row[PROBE_COLUMNS[1]] as string}`;
  // Kept until TikTok answers, like the key (see ownText): reading a character flattens the
  // joined pair into one string of its own, which lets go of the slices it was made of.
  probe.charCodeAt(0);
  return probe;
}

/**
 * A copy of a string that refers to nothing else, for the key's hash as the COPY reader reads it
 * (probeOf does the same for the probes). V8 takes a substring of 13 characters or more as a
 * slice of its parent: a key or a probe sliced from the 64 KB the reader received, and kept
 * until TikTok answers, kept those 64 KB alive, which every young-generation collection then
 * copied. Measured, what a collection copied on average: a million-row run's probes, 3.0-3.1 ->
 * 2.7-2.9 MB; a rerun of 500,000 new rows, whose keys are read as text, 2.79-2.86 -> 2.59-2.68 MB
 * (promoted: 25.0-28.7 -> 19.8-25.3 MB). Prefixing makes a pair, which slicing flattens into a
 * string of its own.
 */
export const ownText = (text: string): string => ` ${text}`.slice(1);

/**
 * The rejection remembered for a row of the new-rows query (its reason and the fingerprint
 * stored with it), undefined for a row never rejected. The caller decides whether the row
 * changed since: a fingerprint is Ferry's, computed outside the warehouse.
 */
export function rememberedOf(row: Record<string, unknown>): { reason: string; fingerprint: string } | undefined {
  const reason = row[REMEMBERED_COLUMNS[0]];
  return typeof reason === "string" ? { reason, fingerprint: String(row[REMEMBERED_COLUMNS[1]]) } : undefined;
}

/** What to extract for one activation: everything the SQL needs, nothing it does not. */
export interface Extraction {
  activation: string;
  /** A query, a table name as written (dots qualify), or a relation resolved part by part (dbt). */
  source: { query: string } | { table: string } | { relation: Relation };
  primaryKey: readonly string[];
  /** Source columns the mapping reads (primary-key columns are added when absent). */
  columns: readonly string[];
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

/** The key parts as one text, NULL when any part is NULL (such rows are rejected). */
function keyText(dialect: Dialect, alias: string, primaryKey: readonly string[]): string {
  const parts = primaryKey.map((c) => dialect.text(`${alias}.${dialect.quote(c)}`));
  return parts.length === 1 ? parts[0]! : dialect.concat(parts.flatMap((p, i) => (i === 0 ? [p] : [dialect.separator, p])));
}

/**
 * An activation's name as a SQL string literal. The statements that hold a user's query take
 * no bindings: drivers and knex read every `?` as a placeholder, also one inside the query's
 * string literals or PostgreSQL's jsonb `?` operator. The names Ferry accepts need no escaping;
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
 * and fingerprint come along (see rememberedOf) for the caller to tell a changed row from an
 * unchanged one. Hashing every value of every row in the warehouse, to compare there, cost
 * PostgreSQL 1.7 of its 3.7 s a million rows (measured); Ferry now fingerprints only the few
 * rows it rejects. `remembered`: only the rows with a remembered rejection (true), or only
 * those without (false). `fresh`: the activation has nothing acknowledged nor rejected, so every
 * row is new and none remembered: no joins. `keyText`: where there is no join (a full refresh
 * or fresh state), the rows carry their key's text (KEY_TEXT_COLUMN) for the reader to hash,
 * not the key's SHA-256: PostgreSQL's sha256 and hex encoding cost it 0.9 s a million rows,
 * Node's one-shot hash about a third of that (measured). It takes no bindings, and runs as written.
 */
export function renderNewRowsSql(
  dialect: Dialect,
  x: Extraction,
  options: {
    fullRefresh?: boolean;
    fresh?: boolean;
    keyText?: boolean;
    byKey?: boolean;
    keysByIndex?: boolean;
    parallel?: boolean;
    remembered?: boolean;
  } = {},
): string {
  const columns = selectedColumns(x);
  const fence = dialect.fence ? ` ${dialect.fence}` : "";
  const acked = qualifiedState(dialect, x.stateSchema, "acked");
  const rejected = qualifiedState(dialect, x.stateSchema, "rejected");
  const unfenced = `FROM ${sourceSql(dialect, x.source)} s`;
  const source = `${unfenced}${fence}`;
  const list = columns.map((c) => `s.${dialect.quote(c)}`).join(", ");
  const pk = (alias: string) => `${dialect.sha256(keyText(dialect, alias, x.primaryKey))} AS ${PK_COLUMN}`;
  const activation = activationLiteral(x.activation);

  // byKey: the acknowledged keys are looked up by SHA-256 alone, row by row through the index
  // where the planner likes (a source much smaller than its history); probes are still
  // selected, to be recorded.
  const probes = dialect.probes?.(keyText(dialect, "s", x.primaryKey));
  const probed = probes ? `, ${probes[0]} AS ${PROBE_COLUMNS[0]}, ${probes[1]} AS ${PROBE_COLUMNS[1]}` : "";
  // The fence keeps the planner from inlining the key's hash into every condition that reads
  // it (PostgreSQL computed it three times a row without).
  const direct = `SELECT ${list}${probed}, ${pk("s")}\n    ${source}`;
  if (options.fullRefresh || options.fresh) {
    return options.keyText
      ? `SELECT ${list}${probed}, ${keyText(dialect, "s", x.primaryKey)} AS ${KEY_TEXT_COLUMN}\n    ${source}`
      : direct;
  }

  // With probes, a rerun over a large history finds the acknowledged keys by two cheap hashes
  // (measured at 1M acknowledged rows: 1.3 s against 4.2 s), and SHA-256 is computed only for
  // the rows they do not find. Those are then looked up by their SHA-256 too, so that keys
  // acknowledged without probes (by an earlier version), or with probes that no longer match,
  // are still known: probes only ever save work.
  const byProbes = probes !== undefined && !options.byKey;
  // parallel: the probes' anti-join may run in parallel workers, which a fence above the probes
  // would forbid (it keeps what reads its rows serial): the join then computes them itself, a
  // second time for the rows it finds (measured: the same time serial, a quarter less in
  // parallel, where few rows are new).
  const keyed = byProbes
    ? `SELECT c.*, ${pk("c")}\n    FROM (\n      SELECT ${list}${probed}\n      ${options.parallel ? unfenced : source}\n    ) c` +
      `\n    WHERE NOT EXISTS (SELECT 1 FROM ${acked} a WHERE a.activation = ${activation} AND a.probe_a = c.${PROBE_COLUMNS[0]} AND a.probe_b = c.${PROBE_COLUMNS[1]})${fence}`
    : direct;
  // keysByIndex: a fenced EXISTS is not turned into a join, so each key is looked up by the index.
  const byIndex = byProbes && options.keysByIndex ? fence : "";
  const only = options.remembered === undefined ? "" : `\n  AND r.pk_hash IS ${options.remembered ? "NOT " : ""}NULL`;
  return [
    `SELECT k.*, r.reason AS ${REMEMBERED_COLUMNS[0]}, r.fingerprint AS ${REMEMBERED_COLUMNS[1]}`,
    `FROM (\n    ${keyed}\n  ) k`,
    `LEFT JOIN ${rejected} r ON r.activation = ${activation} AND r.pk_hash = k.${PK_COLUMN}`,
    `WHERE NOT EXISTS (SELECT 1 FROM ${acked} a WHERE a.activation = ${activation} AND a.pk_hash = k.${PK_COLUMN}${byIndex})${only}`,
  ].join("\n");
}

/**
 * Whether an activation has nothing acknowledged and nothing rejected (column `fresh`, true or
 * false): its new rows are then all of them (renderNewRowsSql's `fresh`). Takes no bindings.
 */
export function renderFreshSql(dialect: Dialect, x: Pick<Extraction, "activation" | "stateSchema">): string {
  const activation = activationLiteral(x.activation);
  const none = (table: StateTable) =>
    `NOT EXISTS (SELECT 1 FROM ${qualifiedState(dialect, x.stateSchema, table)} t WHERE t.activation = ${activation})`;
  return `SELECT ${none("rejected")} AND ${none("acked")} AS fresh`;
}

/**
 * PostgreSQL: statements whose planned row counts choose between the two lookups of
 * renderNewRowsSql (by probes, or byKey): the source, and this activation's acknowledgements.
 * Like it, they take no bindings.
 */
export function renderSizeSql(dialect: Dialect, x: Extraction): { source: string; acked: string } {
  return {
    source: `SELECT 1 FROM ${sourceSql(dialect, x.source)} s`,
    acked: `SELECT 1 FROM ${qualifiedState(dialect, x.stateSchema, "acked")} a WHERE a.activation = ${activationLiteral(x.activation)}`,
  };
}
