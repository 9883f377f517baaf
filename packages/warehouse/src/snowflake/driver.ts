import type { Connection, ConnectionOptions, RowStatement } from "snowflake-sdk";
import type { Row } from "../contract.js";
import { inChunks } from "../chunks.js";
import type { Driver } from "../driver.js";
import { redact, WarehouseError, withoutPersonalData, type WarehouseErrorCode } from "../errors.js";
import { loadOptional } from "../optional.js";
import { insertInSlices, renderInsert } from "../sql/insert.js";
import { snowflake } from "./dialect.js";

// Snowflake through its official Node driver. Not reachable from CI: this driver runs the
// conformance suite live when FERRY_TEST_SNOWFLAKE_URL is set, and its SQL is parsed on every commit.

type Api = typeof import("snowflake-sdk");

/**
 * snowflake://user[:password]@account/database/schema?warehouse=WH&role=ROLE, and for a key
 * pair `private_key_env=NAME` (the variable holding the PEM); a password may be named the same
 * way (`password_env=NAME`). Secrets come from the environment only, never from a file.
 */
export function snowflakeConfig(url: string, env: NodeJS.ProcessEnv = process.env): ConnectionOptions {
  const u = new URL(url);
  const [database, schema] = u.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const param = (name: string) => u.searchParams.get(name) ?? undefined;
  const fromEnv = (name: string | undefined, what: string) => {
    if (!name) return undefined;
    const value = env[name];
    if (!value) throw new WarehouseError("authentication", `Snowflake's ${what} is read from $${name}, which is not set`);
    return value;
  };
  const privateKey = fromEnv(param("private_key_env"), "private key");
  const password = u.password ? decodeURIComponent(u.password) : fromEnv(param("password_env"), "password");
  if (!u.username || !u.hostname)
    throw new WarehouseError("unsupported", "a Snowflake URL is snowflake://user@account/database/schema?warehouse=…");
  return {
    account: u.hostname,
    username: decodeURIComponent(u.username),
    ...(privateKey ? { authenticator: "SNOWFLAKE_JWT", privateKey } : password ? { password } : {}),
    ...(database ? { database } : {}),
    ...(schema ? { schema } : {}),
    ...(param("warehouse") ? { warehouse: param("warehouse")! } : {}),
    ...(param("role") ? { role: param("role")! } : {}),
    application: "Ferry",
  };
}

/** What the driver asks of Snowflake: its Node driver, or a recorder in the SQL-parsing tests. */
export interface SnowflakeSession {
  /** A statement's rows (for DML, one row of counts); `binds` an array of rows binds each in bulk. */
  execute(sql: string, binds: readonly unknown[]): Promise<Row[]>;
  stream(sql: string): Promise<AsyncIterable<Row> & { destroy(): void }>;
  close(): Promise<void>;
}

// Numbers, dates and JSON as text: nothing loses digits or is read in the runner's time zone.
const AS_TEXT = ["Number", "Date", "JSON"] as const;

/** Snowflake folds unquoted names to upper case: the state's columns come back as Ferry wrote them. */
const lowered = (row: Row): Row => Object.fromEntries(Object.entries(row).map(([k, v]) => [/[a-z]/.test(k) ? k : k.toLowerCase(), v]));
/** Only the hidden columns are folded back in the segment's rows: a user's EMAIL stays EMAIL. */
const hiddenLowered = (row: Row): Row => {
  for (const key of Object.keys(row)) {
    if (key.startsWith("__FERRY_")) {
      row[key.toLowerCase()] = row[key];
      delete row[key];
    }
  }
  return row;
};

const failure =
  (url: string) =>
  (error: unknown): WarehouseError => {
    if (error instanceof WarehouseError) return error;
    const e = error as { code?: string | number; message?: string };
    const code: WarehouseErrorCode =
      String(e.code) === "390100" || String(e.code) === "390144" ? "authentication" : String(e.code) === "003001" ? "permission" : "query";
    return new WarehouseError(code, withoutPersonalData(redact(String(e.message ?? error).slice(0, 500), url)));
  };

/** The Node driver as a session, connected on first use. */
export function clientSession(url: string): SnowflakeSession {
  const options = snowflakeConfig(url);
  const fail = failure(url);
  let connected: Promise<Connection> | undefined;
  const connection = () =>
    (connected ??= loadOptional<{ default: Api }>("snowflake-sdk", "Snowflake").then(
      ({ default: api }) =>
        new Promise<Connection>((resolve, reject) => {
          api.configure({ logLevel: "OFF" });
          const conn = api.createConnection(options);
          conn.connect((error) => (error ? reject(fail(error)) : resolve(conn)));
        }),
    ));
  const run = async (sql: string, binds: readonly unknown[], stream: boolean) => {
    const conn = await connection();
    return new Promise<{ statement: RowStatement; rows: Row[] }>((resolve, reject) => {
      conn.execute({
        sqlText: sql,
        ...(binds.length ? { binds: binds as never } : {}),
        fetchAsString: [...AS_TEXT],
        streamResult: stream,
        parameters: { MULTI_STATEMENT_COUNT: 0 },
        complete: (error, statement, rows) => (error ? reject(fail(error)) : resolve({ statement, rows: (rows ?? []) as Row[] })),
      });
    });
  };
  return {
    execute: async (sql, binds) => (await run(sql, binds, false)).rows,
    stream: async (sql) => (await run(sql, [], true)).statement.streamRows() as AsyncIterable<Row> & { destroy(): void },
    async close() {
      if (!connected) return;
      const conn = await connected.catch(() => undefined);
      await new Promise<void>((resolve) => (conn ? conn.destroy(() => resolve()) : resolve()));
    },
  };
}

export function snowflakeDriver(url: string, session: SnowflakeSession = clientSession(url)): Driver {
  const fail = failure(url);
  const execute = (sql: string, binds: readonly unknown[]) =>
    session.execute(sql, binds).catch((error: unknown) => Promise.reject(fail(error)));

  const driver: Driver = {
    dialect: snowflake,
    query: async (sql, bindings = []) => (await execute(sql, bindings)).map(lowered),
    // Snowflake answers a DML statement with one row of counts (rows inserted, updated, deleted).
    change: async (sql, bindings = []) => {
      const [counts] = await execute(sql, bindings);
      return Object.values(counts ?? {}).reduce<number>((n, v) => n + (Number(v) || 0), 0);
    },
    /** The driver's result stream: chunks fetched in the background, with backpressure. */
    async *stream(sql, { size, signal }) {
      const rows = await session.stream(sql).catch((error: unknown) => Promise.reject(fail(error)));
      try {
        yield* inChunks(rows, size, signal, hiddenLowered);
      } catch (error) {
        throw fail(error);
      } finally {
        rows.destroy();
      }
    },
    batch: async (statements) => {
      await execute(statements.join(";\n"), []);
    },
    async insert(table, columns, rows, conflict) {
      if (!conflict) {
        // Array binding: the driver sends a large array through a temporary stage, as Snowflake advises.
        const [counts] = await execute(renderInsert(snowflake, table, columns, 1), rows as unknown[]);
        return Number(Object.values(counts ?? {})[0] ?? rows.length);
      }
      return insertInSlices(driver, table, columns, rows, conflict);
    },
    createSchema: async (schema) => {
      await driver.change(`CREATE SCHEMA IF NOT EXISTS ${snowflake.quotePart(schema)}`);
    },
    async tableExists(schema, table) {
      const rows = await driver.query(
        "SELECT 1 AS found FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        // State names are quoted, so stored as written.
        [schema ?? "PUBLIC", table],
      );
      return rows.length > 0;
    },
    close: () => session.close(),
  };
  return driver;
}
