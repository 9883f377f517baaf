import { backQuoted, dotted, pipes, type Dialect } from "../dialect.js";

export const bigquery: Dialect = {
  name: "bigquery",
  schemas: true,
  // BigQuery's limit is on the request's size; 10,000 parameters keeps a statement well under it.
  maxBindings: 10_000,
  quote: dotted(backQuoted),
  quotePart: backQuoted,
  // Dataset and table names are case-sensitive, quoted or not.
  fold: (id) => id,
  // project.dataset.table
  crossDatabase: true,
  text: (e) => `CAST(${e} AS STRING)`,
  sha256: (e) => `TO_HEX(SHA256(${e}))`,
  concat: pipes,
  separator: "CODE_POINTS_TO_STRING([31])",
  fence: "",
  types: { string: () => "STRING", bigint: "INT64", boolean: "BOOL", text: "STRING" },
  upsert: "merge",
  unkeyedLog: true,
};
