import { doubleQuoted, pipes, quoteWith, upper, type Dialect } from "../dialect.js";

export const snowflake: Dialect = {
  name: "snowflake",
  schemas: true,
  maxBindings: 16_384,
  quote: quoteWith("pg"),
  quotePart: doubleQuoted,
  fold: upper,
  crossDatabase: true,
  text: (e) => `TO_VARCHAR(${e})`,
  sha256: (e) => `SHA2(${e}, 256)`,
  concat: pipes,
  separator: "CHR(31)",
  fence: "",
  types: { string: (n) => `VARCHAR(${n})`, bigint: "NUMBER(19, 0)", boolean: "BOOLEAN", text: "VARCHAR" },
  upsert: "merge",
  unkeyedLog: true,
};
