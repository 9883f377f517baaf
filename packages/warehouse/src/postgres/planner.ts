import type { Row } from "../contract.js";
import type { Planned } from "../driver.js";
import type { Extraction } from "../sql/extraction.js";
import { renderFreshSql, renderSizeSql } from "../sql/render.js";
import { postgres } from "./dialect.js";

// How PostgreSQL finds the new rows, from the planner's own estimates. Each threshold and
// setting is a decision recorded in bench/FINDINGS.md#postgres-planner.

/** A history this many times the source's planned size is looked up by key. */
const BY_KEY_RATIO = 5;
/** From this many acknowledged rows, keys the probes missed are looked up one by one. */
const KEYS_BY_INDEX_FROM = 50_000;
/** A history at least this share of the source may be anti-joined in parallel: few rows are new. */
const MOST_KNOWN_SHARE = 0.9;
/** What passing a row from a parallel worker costs then: few rows pass. */
const FEW_ROWS_TUPLE_COST = "0.001";

type Query = (sql: string) => Promise<Row[]>;

/** The strategy and the settings for a run's new rows (or a preview's count). */
export async function planNewRows(query: Query, x: Extraction, opts: { fullRefresh?: boolean; remembered?: boolean }): Promise<Planned> {
  // A full refresh has no joins; Ferry hashes the keys (bench/FINDINGS.md#key-text).
  if (opts.fullRefresh) return { strategy: { kind: "all", keyText: true } };
  const sizes = renderSizeSql(postgres, x);
  const planned = async (sql: string) => {
    const rows = (await query(`EXPLAIN (FORMAT JSON) ${sql}`)) as { "QUERY PLAN": [{ Plan: { "Plan Rows": number } }] }[];
    return Number(rows[0]?.["QUERY PLAN"][0].Plan["Plan Rows"] ?? 0);
  };
  const [source, acked] = [await planned(sizes.source), await planned(sizes.acked)];
  const keysByIndex = acked >= KEYS_BY_INDEX_FROM;
  // Whether the activation has no state at all: asked only when the planner expects few
  // acknowledgements (without an index on the activation it may scan the others' records).
  // Under the run's lock the answer holds until the query starts.
  if (opts.remembered !== true && !keysByIndex) {
    const [row] = await query(renderFreshSql(postgres, x));
    if (row?.["fresh"] === true) return { strategy: { kind: "all", keyText: true } };
  }
  if (source * BY_KEY_RATIO < acked) return { strategy: { kind: "byKey" } };
  const parallel = keysByIndex && acked >= source * MOST_KNOWN_SHARE;
  return {
    strategy: { kind: "byProbes", keysByIndex, parallel },
    settings: [...(keysByIndex ? ["jit = off"] : []), ...(parallel ? [`parallel_tuple_cost = ${FEW_ROWS_TUPLE_COST}`] : [])],
  };
}
