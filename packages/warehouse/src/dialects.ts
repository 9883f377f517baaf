import { bigquery } from "./bigquery/dialect.js";
import type { Dialect, DialectName } from "./dialect.js";
import { duckdb } from "./duckdb/dialect.js";
import { WarehouseError } from "./errors.js";
import { mysql } from "./mysql/dialect.js";
import { postgres } from "./postgres/dialect.js";
import { snowflake } from "./snowflake/dialect.js";
import { sqlite } from "./sqlite/dialect.js";

export const DIALECTS: Record<DialectName, Dialect> = { postgres, mysql, sqlite, duckdb, bigquery, snowflake };

/** URL schemes, as users write them, and the dialect each names. */
const SCHEMES: Readonly<Record<string, DialectName>> = {
  "postgres:": "postgres",
  "postgresql:": "postgres",
  "mysql:": "mysql",
  "mariadb:": "mysql",
  "sqlite:": "sqlite",
  "duckdb:": "duckdb",
  "md:": "duckdb",
  "bigquery:": "bigquery",
  "snowflake:": "snowflake",
};

const EXAMPLES =
  "postgres://user@host/db, mysql:// or mariadb://, sqlite:./file.db, duckdb:./file.duckdb, md:database (MotherDuck), bigquery://project, snowflake://user@account/database";

/** The dialect of a connection URL; an unknown scheme is an error that lists the known ones. */
export function dialectFor(url: string): Dialect {
  const scheme = /^[a-z0-9+]+:/i.exec(url)?.[0]?.toLowerCase();
  const name = scheme ? SCHEMES[scheme] : undefined;
  if (!name) {
    throw new WarehouseError("unsupported", `unsupported warehouse URL scheme${scheme ? ` "${scheme}"` : ""}: use ${EXAMPLES}`);
  }
  return DIALECTS[name];
}
