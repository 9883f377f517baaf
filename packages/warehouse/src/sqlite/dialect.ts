import { asIs, doubleQuoted, pipes, quoteWith, type Dialect } from "../dialect.js";

export const sqlite: Dialect = {
  name: "sqlite",
  schemas: false,
  maxBindings: 32_766,
  quote: quoteWith("pg"),
  quotePart: doubleQuoted,
  fold: asIs,
  crossDatabase: false,
  text: (e) => `CAST(${e} AS TEXT)`,
  // Registered on every connection (sqlite/driver.ts): SQLite has no SHA-256 of its own.
  sha256: (e) => `ferry_sha256(${e})`,
  concat: pipes,
  separator: "char(31)",
  // A subquery with LIMIT is not flattened; SQLite runs it as a co-routine, row by row.
  fence: "LIMIT -1 OFFSET 0",
  types: { string: (n) => `varchar(${n})`, bigint: "bigint", boolean: "boolean", text: "text" },
  upsert: "on-conflict",
  // Without its primary key SQLite scans the log for every source row.
  unkeyedLog: false,
};
