import type { BigQuery, Query } from "@google-cloud/bigquery";
import type { AckLog, Row } from "../contract.js";
import { inChunks } from "../chunks.js";
import type { Driver, StateTarget } from "../driver.js";
import { WarehouseError, withoutPersonalData, type WarehouseErrorCode } from "../errors.js";
import { loadOptional } from "../optional.js";
import { insertInSlices } from "../sql/insert.js";
import { bufferedAckLog } from "../state/store.js";
import { bigquery } from "./dialect.js";

// BigQuery through Google's official client. Authentication is the client's own (Application
// Default Credentials: GOOGLE_APPLICATION_CREDENTIALS, workload identity, or gcloud's login).
// Not reachable from CI: this driver runs the conformance suite live when
// FERRY_TEST_BIGQUERY_URL is set, and its SQL is parsed by a BigQuery grammar on every commit.

type Api = typeof import("@google-cloud/bigquery");

/**
 * bigquery://project[/dataset][?location=EU]: the project jobs run and bill in, the dataset that
 * unqualified table names are read from, and where the state's dataset is made.
 */
export function bigqueryConfig(url: string): { projectId: string; dataset: string | undefined; location: string | undefined } {
  const parsed = new URL(url);
  if (!parsed.hostname)
    throw new WarehouseError("unsupported", "a BigQuery URL names its project: bigquery://my-project/dataset?location=EU");
  const dataset = decodeURIComponent(parsed.pathname.replace(/^\//, "")) || undefined;
  return { projectId: parsed.hostname, dataset, location: parsed.searchParams.get("location") ?? undefined };
}

/** What the driver asks of BigQuery: Google's client, or a recorder in the SQL-parsing tests. */
export interface BigQuerySession {
  query(sql: string, bindings: readonly unknown[]): Promise<Row[]>;
  /** Rows a DML statement changed. */
  change(sql: string, bindings: readonly unknown[]): Promise<number>;
  stream(sql: string): AsyncIterable<Row> & { destroy(): void };
  /** A load job of newline-delimited JSON into a table. */
  load(dataset: string, table: string, ndjson: string): Promise<void>;
  exists(dataset: string, table: string): Promise<boolean>;
}

/** What the caller does next, from Google's HTTP status. */
function classify(error: unknown): WarehouseError {
  if (error instanceof WarehouseError) return error;
  const e = error as { code?: number | string; message?: string };
  const message = String(e.message ?? error)
    .split("\n")[0]!
    .slice(0, 500);
  const code: WarehouseErrorCode =
    e.code === 401 || /default credentials|invalid_grant|unauthenticated/i.test(message)
      ? "authentication"
      : e.code === 403
        ? "permission"
        : e.code === "ENOTFOUND" || e.code === "ECONNREFUSED"
          ? "connection"
          : "query";
  return new WarehouseError(code, withoutPersonalData(message));
}

/** Query parameters need a type where their value does not tell it (NULL), so every one is given. */
const typeOf = (v: unknown): string =>
  typeof v === "boolean" ? "BOOL" : typeof v === "number" ? (Number.isInteger(v) ? "INT64" : "FLOAT64") : "STRING";

/**
 * Values as the mapper reads them from other warehouses: INT64 and NUMERIC as text (no lost
 * digits), TIMESTAMP, DATE and DATETIME as their text, arrays and structs as JSON-ready values.
 */
function plain(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Buffer.isBuffer(value)) return value;
  if (Array.isArray(value)) return value.map(plain);
  if ("value" in value && Object.keys(value).length === 1) return String((value as { value: unknown }).value);
  if (typeof (value as { toFixed?: unknown }).toFixed === "function") return String(value);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
}
const plainRow = (row: Row): Row => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)]));

/** Google's client as a session; created on first use, so a URL's mistakes surface as values. */
export function clientSession(url: string): BigQuerySession {
  const { projectId, dataset, location } = bigqueryConfig(url);
  let client: Promise<BigQuery> | undefined;
  const bq = () =>
    (client ??= loadOptional<Api>("@google-cloud/bigquery", "BigQuery").then(
      (api) => new api.BigQuery({ projectId, ...(location ? { location } : {}) }),
    ));
  const job = (sql: string, bindings: readonly unknown[]): Query => ({
    query: sql,
    ...(location ? { location } : {}),
    ...(dataset ? { defaultDataset: { projectId, datasetId: dataset } } : {}),
    wrapIntegers: true,
    ...(bindings.length ? { params: [...bindings], types: bindings.map(typeOf) } : {}),
  });
  return {
    query: async (sql, bindings) => (await (await bq()).query(job(sql, bindings)))[0] as Row[],
    async change(sql, bindings) {
      const [created] = await (await bq()).createQueryJob(job(sql, bindings));
      await created.getQueryResults({ maxResults: 0 });
      const [metadata] = await created.getMetadata();
      return Number(metadata.statistics?.query?.numDmlAffectedRows ?? 0);
    },
    stream(sql) {
      const rows = (async function* () {
        yield* (await bq()).createQueryStream(job(sql, [])) as AsyncIterable<Row>;
      })();
      return Object.assign(rows, { destroy: () => void rows.return(undefined) });
    },
    async load(dataset, table, ndjson) {
      const target = (await bq()).dataset(dataset).table(table);
      await new Promise<void>((resolve, reject) => {
        const stream = target.createWriteStream({ sourceFormat: "NEWLINE_DELIMITED_JSON", ...(location ? { location } : {}) });
        stream.on("error", reject).on("complete", () => resolve());
        stream.end(ndjson);
      });
    },
    exists: async (dataset, table) => (await (await bq()).dataset(dataset).table(table).exists())[0],
  };
}

export function bigqueryDriver(url: string, session: BigQuerySession = clientSession(url)): Driver {
  const { location } = bigqueryConfig(url);
  const guarded = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw classify(error);
    }
  };

  /**
   * Acknowledgements by load job (NDJSON): free, and not row-at-a-time DML within its quotas.
   * BigQuery takes 1,500 load jobs a table a day: a group of five thousand keys each.
   */
  const loadAckLog = (target: StateTarget, activation: string, runId: string): AckLog =>
    bufferedAckLog((rows, at) => {
      const ndjson = rows
        .map((r) =>
          JSON.stringify({ activation, pk_hash: r.pkHash, event_id: r.eventId, event_time: r.eventTime, run_id: runId, acked_at: at }),
        )
        .join("\n");
      return guarded(() => session.load(target.schema!, target.table, ndjson));
    });

  const driver: Driver = {
    dialect: bigquery,
    query: (sql, bindings = []) => guarded(async () => (await session.query(sql, bindings)).map(plainRow)),
    change: (sql, bindings = []) => guarded(() => session.change(sql, bindings)),
    /** Google's result pages, read as a stream with backpressure. */
    async *stream(sql, { size, signal }) {
      const rows = session.stream(sql);
      try {
        yield* inChunks(rows, size, signal, plainRow);
      } catch (error) {
        throw classify(error);
      } finally {
        rows.destroy();
      }
    },
    // DDL is not transactional in BigQuery: one script, each statement safe to repeat.
    batch: async (statements) => {
      await driver.change(statements.join(";\n"));
    },
    insert: (table, columns, rows, conflict) => insertInSlices(driver, table, columns, rows, conflict),
    createSchema: async (schema) => {
      await driver.change(
        `CREATE SCHEMA IF NOT EXISTS ${bigquery.quotePart(schema)}${location ? ` OPTIONS (location = '${location.replace(/'/g, "")}')` : ""}`,
      );
    },
    tableExists: (schema, table) => guarded(() => session.exists(schema!, table)),
    ackLog: loadAckLog,
    close: async () => {},
  };
  return driver;
}
