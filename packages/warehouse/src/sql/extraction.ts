import type { Dialect } from "../dialect.js";

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

/** A relation's name for people (plans, PR comments): its parts, dotted. */
export const relationName = (r: Relation): string => [r.database, r.schema, r.name].filter(Boolean).join(".");

export const selectedColumns = (x: Pick<Extraction, "columns" | "primaryKey">): string[] => [...new Set([...x.columns, ...x.primaryKey])];

export type StateTable = "acked" | "rejected" | "runs" | "locks";

/** Where a state table lives: `schema.table`, or `schema_table` where there are no schemas. */
export function stateTableName(dialect: Dialect, stateSchema: string, table: StateTable): { schema?: string; table: string } {
  return dialect.schemas ? { schema: stateSchema, table } : { table: `${stateSchema}_${table}` };
}

/** The quoted, qualified name of a state table, for SQL. */
export function qualifiedState(dialect: Dialect, stateSchema: string, table: StateTable): string {
  const name = stateTableName(dialect, stateSchema, table);
  return name.schema ? `${dialect.quotePart(name.schema)}.${dialect.quotePart(name.table)}` : dialect.quotePart(name.table);
}
