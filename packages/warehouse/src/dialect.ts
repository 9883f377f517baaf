import knex, { type Knex } from "knex";
import { WarehouseError } from "./errors.js";

export type DialectName = "postgres" | "redshift" | "mysql" | "sqlite" | "snowflake";

/**
 * What Ferry needs to know about a warehouse's SQL, in the kysely style: capability flags and
 * the few expressions that differ (text cast, SHA-256, concatenation, identifier quoting).
 */
export interface Dialect {
  name: DialectName;
  /** The knex client that speaks it. */
  client: "pg" | "mysql2" | "better-sqlite3";
  /** Real schemas (else state tables get a `<state_schema>_` prefix). */
  schemas: boolean;
  /** Rows stream from the server with backpressure. */
  streaming: boolean;
  /** Bound parameters one statement may carry. */
  maxBindings: number;
  /** INSERT … ON CONFLICT / INSERT IGNORE. */
  onConflict: boolean;
  /** Whether this build can connect to it (else compile-level only). */
  connectable: boolean;
  /** A name as written in a config: dots qualify it (schema.table), each part quoted. */
  quote(identifier: string): string;
  /** One identifier whatever it holds (dots included), quoted: a part dbt recorded. */
  quotePart(identifier: string): string;
  /** How the warehouse folds an unquoted identifier (Snowflake upper-cases, PostgreSQL lower-cases). */
  fold(identifier: string): string;
  /** A relation may name another database (database.schema.table). */
  crossDatabase: boolean;
  text(expression: string): string;
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
   * the acknowledged keys are found by these (a 128-bit identity) and SHA-256 is computed only
   * for the rows they do not find. Must give the same values on every run for the same text.
   */
  probes?: (textExpression: string) => [string, string];
}

// Identifiers from configs are quoted by knex's own formatter (a qualified name such as
// schema.table part by part), never concatenated raw into SQL.
const builders = new Map<string, Knex>();
const quoteWith = (client: "pg" | "mysql2") => (id: string) => {
  let builder = builders.get(client);
  if (!builder) builders.set(client, (builder = knex({ client })));
  return builder.raw("??", [id]).toQuery();
};

// Any two distinct seeds give independent hashes; fixed forever, as they are stored.
const PROBE_SEEDS = ["0", "6074272981"] as const;

const pipes = (parts: string[]) => parts.join(" || ");
const doubleQuoted = (id: string) => `"${id.replace(/"/g, '""')}"`;
const backQuoted = (id: string) => `\`${id.replace(/`/g, "``")}\``;
const asIs = (id: string) => id;
const lower = (id: string) => id.toLowerCase();
const upper = (id: string) => id.toUpperCase();

export const DIALECTS: Record<DialectName, Dialect> = {
  postgres: {
    name: "postgres",
    client: "pg",
    schemas: true,
    streaming: true,
    maxBindings: 65_535,
    onConflict: true,
    connectable: true,
    quote: quoteWith("pg"),
    quotePart: doubleQuoted,
    fold: lower,
    crossDatabase: false,
    text: (e) => `CAST(${e} AS TEXT)`,
    sha256: (e) => `encode(sha256(convert_to(${e}, 'UTF8')), 'hex')`,
    concat: pipes,
    separator: "chr(31)",
    // A subquery with OFFSET is never pulled up into its parent.
    fence: "OFFSET 0",
    // hashtextextended is the hash of hash partitions and hash indexes, kept stable across
    // versions because both are stored; COLLATE "C" makes it hash the bytes, also for columns
    // whose collation is not deterministic (which would hash 'A' and 'a' alike). A million
    // keys cost 0.2 s of CPU where SHA-256 cost 1.5 s (measured, PostgreSQL 15).
    probes: (e) => [`hashtextextended((${e}) COLLATE "C", ${PROBE_SEEDS[0]})`, `hashtextextended((${e}) COLLATE "C", ${PROBE_SEEDS[1]})`],
  },
  redshift: {
    name: "redshift",
    client: "pg",
    schemas: true,
    streaming: true,
    maxBindings: 32_767,
    onConflict: false,
    connectable: false,
    quote: quoteWith("pg"),
    quotePart: doubleQuoted,
    fold: lower,
    crossDatabase: false,
    text: (e) => `CAST(${e} AS VARCHAR)`,
    sha256: (e) => `SHA2(${e}, 256)`,
    concat: pipes,
    separator: "CHR(31)",
    fence: "",
  },
  mysql: {
    name: "mysql",
    client: "mysql2",
    schemas: true,
    streaming: true,
    maxBindings: 65_535,
    onConflict: true,
    connectable: true,
    quote: quoteWith("mysql2"),
    quotePart: backQuoted,
    // Table-name case follows the server's lower_case_table_names, quoted or not.
    fold: asIs,
    crossDatabase: false,
    text: (e) => `CAST(${e} AS CHAR)`,
    sha256: (e) => `SHA2(${e}, 256)`,
    // `||` is OR in MySQL; CONCAT is NULL when any part is, like `||` elsewhere.
    concat: (parts) => `CONCAT(${parts.join(", ")})`,
    separator: "CHAR(31)",
    // Only LIMIT keeps a derived table apart in MySQL, and it makes the table materialise.
    fence: "",
  },
  sqlite: {
    name: "sqlite",
    client: "better-sqlite3",
    schemas: false,
    streaming: true,
    maxBindings: 32_766,
    onConflict: true,
    connectable: true,
    quote: quoteWith("pg"),
    quotePart: doubleQuoted,
    fold: asIs,
    crossDatabase: false,
    text: (e) => `CAST(${e} AS TEXT)`,
    // Registered on every connection by connect(): SQLite has no SHA-256 of its own.
    sha256: (e) => `ferry_sha256(${e})`,
    concat: pipes,
    separator: "char(31)",
    // A subquery with LIMIT is not flattened; SQLite runs it as a co-routine, row by row.
    fence: "LIMIT -1 OFFSET 0",
  },
  snowflake: {
    name: "snowflake",
    client: "pg",
    schemas: true,
    streaming: true,
    maxBindings: 16_384,
    onConflict: false,
    connectable: false,
    quote: quoteWith("pg"),
    quotePart: doubleQuoted,
    fold: upper,
    crossDatabase: true,
    text: (e) => `TO_VARCHAR(${e})`,
    sha256: (e) => `SHA2(${e}, 256)`,
    concat: pipes,
    separator: "CHR(31)",
    fence: "",
  },
};

const SCHEMES: Record<string, DialectName> = {
  "postgres:": "postgres",
  "postgresql:": "postgres",
  "redshift:": "redshift",
  "mysql:": "mysql",
  "mariadb:": "mysql",
  "sqlite:": "sqlite",
  "snowflake:": "snowflake",
};

/** The dialect of a connection URL (postgres://, mysql://, mariadb://, sqlite:./file.db, …). */
export function dialectFor(url: string): Dialect {
  const scheme = /^[a-z0-9+]+:/i.exec(url)?.[0]?.toLowerCase();
  const name = scheme ? SCHEMES[scheme] : undefined;
  if (!name) {
    throw new WarehouseError(
      "unsupported",
      `unsupported warehouse URL scheme${scheme ? ` "${scheme}"` : ""}: use postgres://, mysql://, mariadb://, sqlite:, redshift:// or snowflake://`,
    );
  }
  return DIALECTS[name];
}
