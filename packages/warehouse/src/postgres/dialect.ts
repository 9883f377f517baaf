import { doubleQuoted, lower, pipes, quoteWith, type Dialect } from "../dialect.js";

// Any two distinct seeds give independent hashes; fixed forever, as they are stored.
const PROBE_SEEDS = ["0", "6074272981"] as const;

export const postgres: Dialect = {
  name: "postgres",
  schemas: true,
  maxBindings: 65_535,
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
  // hashtextextended is the hash of hash partitions and indexes, kept stable across versions
  // because both are stored; COLLATE "C" hashes the bytes, also under a non-deterministic
  // collation (which would hash 'A' and 'a' alike). Why probes: bench/FINDINGS.md#probes.
  probes: (e) => [`hashtextextended((${e}) COLLATE "C", ${PROBE_SEEDS[0]})`, `hashtextextended((${e}) COLLATE "C", ${PROBE_SEEDS[1]})`],
  types: { string: (n) => `varchar(${n})`, bigint: "bigint", boolean: "boolean", text: "text" },
  upsert: "on-conflict",
  unkeyedLog: true,
};
