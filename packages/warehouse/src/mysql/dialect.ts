import { asIs, backQuoted, quoteWith, type Dialect } from "../dialect.js";

export const mysql: Dialect = {
  name: "mysql",
  schemas: true,
  maxBindings: 65_535,
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
  types: { string: (n) => `varchar(${n})`, bigint: "bigint", boolean: "boolean", text: "text" },
  upsert: "on-duplicate-key",
  unkeyedLog: false,
};
