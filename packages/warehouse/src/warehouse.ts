import { toChunks, sha256 } from "./chunks.js";
import type { ConnectOptions, NewRowsOptions, Warehouse } from "./contract.js";
import type { Driver, Planned } from "./driver.js";
import { WarehouseError } from "./errors.js";
import { qualifiedState, selectedColumns, type Extraction } from "./sql/extraction.js";
import { defaultStrategy, renderNewRowsSql } from "./sql/render.js";
import { claimLockRow } from "./state/lock-table.js";
import { createStateStore } from "./state/store.js";

/** A Warehouse over one driver: what is the same on every warehouse is here, once. */
export function createWarehouse(driver: Driver, options: ConnectOptions = {}): Warehouse {
  const { dialect } = driver;
  const size = options.chunkSize ?? 1000;
  const state = createStateStore(driver, { lockTable: !driver.lock });

  const plan = async (x: Extraction, opts: Pick<NewRowsOptions, "fullRefresh" | "remembered">): Promise<Planned> => {
    if (driver.plan) return driver.plan(x, opts);
    return { strategy: opts.fullRefresh ? { kind: "all", keyText: false } : defaultStrategy(dialect) };
  };
  const sqlOf = (x: Extraction, planned: Planned, remembered: boolean | undefined) =>
    renderNewRowsSql(dialect, x, planned.strategy, planned.strategy.kind === "all" ? undefined : remembered);

  async function* newRows(x: Extraction, opts: NewRowsOptions) {
    const planned = await plan(x, opts);
    const sql = sqlOf(x, planned, opts.remembered);
    const stream = { size, signal: opts.signal, whileRecording: opts.whileRecording, settings: planned.settings };
    const columns = selectedColumns(x);
    yield* driver.newRows ? driver.newRows(sql, columns, stream) : toChunks(driver.stream(sql, stream), columns, size);
  }

  const held = (activation: string) =>
    new WarehouseError("lock_held", `another run of "${activation}" is in progress (it holds the warehouse lock); try again when it ends`);

  return {
    dialect,
    state,
    newRows: (x, opts = {}) => newRows(x, opts),
    async countNewRows(x, opts = {}) {
      const sql = sqlOf(x, await plan(x, opts), opts.remembered);
      const [row] = await driver.query(`SELECT COUNT(*) AS n FROM (\n${sql}\n) q`);
      return Number(row?.["n"] ?? 0);
    },
    streamQuery: (sql, opts = {}) => driver.stream(sql, { size, signal: opts.signal }),
    async withLock(activation, stateSchema, fn) {
      // The same key on every warehouse for the same activation and state.
      const key = sha256(`ferry-lock:${stateSchema}:${activation}`);
      const lock = driver.lock
        ? await driver.lock(key)
        : await claimLockRow(driver, qualifiedState(dialect, stateSchema, "locks"), activation);
      if (!lock) throw held(activation);
      try {
        return await fn();
      } finally {
        await lock.release();
      }
    },
    execute: (sql, bindings = []) => driver.query(sql, bindings),
    close: () => driver.close(),
  };
}
