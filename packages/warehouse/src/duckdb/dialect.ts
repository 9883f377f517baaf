import { doubleQuoted, dotted, lower, pipes, type Dialect } from "../dialect.js";

export const duckdb: Dialect = {
  name: "duckdb",
  schemas: true,
  maxBindings: 65_535,
  quote: dotted(doubleQuoted),
  quotePart: doubleQuoted,
  // DuckDB matches identifiers case-insensitively, quoted or not; dbt-duckdb writes them lower.
  fold: lower,
  // An attached database (MotherDuck's, or a second file) is the first part of a name.
  crossDatabase: true,
  text: (e) => `CAST(${e} AS VARCHAR)`,
  sha256: (e) => `sha256(${e})`,
  concat: pipes,
  separator: "chr(31)",
  // DuckDB's optimiser inlines derived tables whatever is written; it computes each expression once anyway.
  fence: "",
  types: { string: (n) => `VARCHAR(${n})`, bigint: "BIGINT", boolean: "BOOLEAN", text: "VARCHAR" },
  upsert: "on-conflict",
  // An ART index on random keys makes every insert of the log cost a lookup; the anti-join is a hash join.
  unkeyedLog: true,
};
