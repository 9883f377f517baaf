import type { ConnectOptions, Warehouse } from "./contract.js";
import { bigqueryDriver } from "./bigquery/driver.js";
import type { DialectName } from "./dialect.js";
import { dialectFor } from "./dialects.js";
import type { Driver } from "./driver.js";
import { duckdbDriver } from "./duckdb/driver.js";
import { redact, WarehouseError } from "./errors.js";
import { mysqlDriver } from "./mysql/driver.js";
import { postgresDriver } from "./postgres/driver.js";
import { snowflakeDriver } from "./snowflake/driver.js";
import { sqliteDriver } from "./sqlite/driver.js";
import { createWarehouse } from "./warehouse.js";

/** Each dialect's driver: adding a warehouse is adding its driver here (CONTRIBUTING.md). */
const DRIVERS: Record<DialectName, (url: string) => Driver> = {
  postgres: postgresDriver,
  mysql: mysqlDriver,
  sqlite: sqliteDriver,
  duckdb: duckdbDriver,
  bigquery: bigqueryDriver,
  snowflake: snowflakeDriver,
};

/** Connects to a warehouse by URL; every error it raises has the credentials removed. */
export function connect(url: string, options: ConnectOptions = {}): Warehouse {
  const dialect = dialectFor(url);
  try {
    return createWarehouse(DRIVERS[dialect.name](url), options);
  } catch (error) {
    if (error instanceof WarehouseError) throw new WarehouseError(error.code, redact(error.message, url));
    throw error;
  }
}
