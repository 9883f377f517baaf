import knex, { type Knex } from "knex";

export type DialectName = "postgres" | "mysql" | "sqlite" | "duckdb" | "bigquery" | "snowflake";

/**
 * What Ferry needs to know about a warehouse's SQL: the few expressions that differ (text cast,
 * SHA-256, concatenation, identifier quoting) and how its state tables are declared. Pure text:
 * `ferry plan` renders any dialect's SQL without a driver.
 */
export interface Dialect {
  name: DialectName;
  /** Real schemas (else state tables get a `<state_schema>_` prefix). */
  schemas: boolean;
  /** Bound parameters one statement may carry. */
  maxBindings: number;
  /** A name as written in a config: dots qualify it (schema.table), each part quoted. */
  quote(identifier: string): string;
  /** One identifier whatever it holds (dots included), quoted: a part dbt recorded. */
  quotePart(identifier: string): string;
  /** How the warehouse folds an unquoted identifier (Snowflake upper-cases, PostgreSQL lower-cases). */
  fold(identifier: string): string;
  /** A relation may name another database (database.schema.table, or project.dataset.table). */
  crossDatabase: boolean;
  text(expression: string): string;
  /** SHA-256 of a text expression as 64 lowercase hex digits. */
  sha256(textExpression: string): string;
  concat(parts: string[]): string;
  /** The unit-separator character, between key parts. */
  separator: string;
  /**
   * A clause that keeps a derived table from being merged into the query around it, so the
   * expressions it computes run once a row; it must not make the table materialise (rows
   * still stream). Empty where no such clause is known.
   */
  fence: string;
  /**
   * Two independent 64-bit hashes of a key's text, cheap next to SHA-256, or none. Where given,
   * the acknowledged keys are found by these and SHA-256 is computed only for the rows they do
   * not find. Must give the same values on every run for the same text.
   */
  probes?: (textExpression: string) => [string, string];
  /** Column types of the state tables. */
  types: { string(length: number): string; bigint: string; boolean: string; text: string };
  /**
   * How a keyed insert that meets an existing key is written: ON CONFLICT (PostgreSQL, SQLite,
   * DuckDB), ON DUPLICATE KEY (MySQL), or MERGE (BigQuery, Snowflake: no enforced keys).
   */
  upsert: "on-conflict" | "on-duplicate-key" | "merge";
  /**
   * The acknowledgement log has no unique key: a key the source repeats may be recorded twice,
   * so counts are of distinct keys (PostgreSQL: see postgres/state.ts; BigQuery and Snowflake
   * enforce no keys).
   */
  unkeyedLog: boolean;
}

// Identifiers from configs are quoted by knex's own formatter (a qualified name such as
// schema.table part by part), never concatenated raw into SQL.
const builders = new Map<string, Knex>();
export const quoteWith = (client: "pg" | "mysql2") => (id: string) => {
  let builder = builders.get(client);
  if (!builder) builders.set(client, (builder = knex({ client })));
  return builder.raw("??", [id]).toQuery();
};

export const pipes = (parts: string[]) => parts.join(" || ");
export const doubleQuoted = (id: string) => `"${id.replace(/"/g, '""')}"`;
export const backQuoted = (id: string) => `\`${id.replace(/`/g, "``")}\``;
/** A dotted name, each part quoted with `part` (dots inside a part cannot be written). */
export const dotted = (part: (id: string) => string) => (id: string) => id.split(".").map(part).join(".");
export const asIs = (id: string) => id;
export const lower = (id: string) => id.toLowerCase();
export const upper = (id: string) => id.toUpperCase();
