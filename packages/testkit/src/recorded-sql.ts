import type { Row, Warehouse } from "@ferry/warehouse";
import { ordersExtraction } from "./conformance.js";

/**
 * Drives every path of a warehouse that writes SQL (state, locks, new rows by every option)
 * over a session that records statements instead of sending them: the SQL an adapter for an
 * unreachable warehouse would send, for a parser of its dialect to check.
 */
export async function exerciseSql(wh: Warehouse): Promise<void> {
  const x = ordersExtraction({ stateSchema: "ferry" });
  await wh.state.ensure("ferry");
  await wh.state.exists("ferry_other");
  await wh.state.beginRun("ferry", { runId: "r1", activation: "orders", startedAt: 1, dryRun: false });
  await wh.state.recordAcked("ferry", "orders", "r1", [{ pkHash: "a".repeat(64), eventId: "orders:1", eventTime: 1 }]);
  await wh.state.recordRejected("ferry", "orders", "r1", [
    { pkHash: "b".repeat(64), fingerprint: "f", reason: "invalid_email" },
    { pkHash: "c".repeat(64), fingerprint: "g", reason: "tiktok_refused", message: "x" },
  ]);
  await wh.state.keylessRejections("ferry", "orders");
  await wh.state.rejections("ferry", "orders");
  await wh.state.rejections("ferry", "orders", { reason: "invalid_email" });
  await wh.state.analyze("ferry");
  await wh.state.pruneRejected("ferry", "orders");
  await wh.state.forgetSuperseded("ferry", "orders", "r1");
  await wh.state.finishRun("ferry", "r1", "success", { sent: 1 });
  await wh.state.show("ferry", "orders", { runs: 5 });
  await wh.state.reset("ferry", "orders");
  await wh.withLock("orders", "ferry", async () => {});
  for (const options of [{}, { fullRefresh: true }, { remembered: true }, { remembered: false }]) {
    await wh.countNewRows(x, options);
    for await (const chunk of wh.newRows(x, options)) void chunk;
  }
  const relation = {
    database: "analytics",
    schema: "marts",
    name: "fct_pos",
    quoted: { database: false, schema: false, identifier: false },
  };
  for await (const chunk of wh.newRows({ ...x, source: { relation } })) void chunk;
  for await (const chunk of wh.newRows({ ...x, source: { table: "shop.orders" }, primaryKey: ["shop_id", "order_id"] })) void chunk;
}

/** Statements recorded, and the answers a recorder gives: nothing found, one row changed. */
export function recorder(): { statements: string[]; rows: (sql: string) => Row[]; changed: (sql: string) => number } {
  const statements: string[] = [];
  return {
    statements,
    rows: (sql) => (statements.push(sql), []),
    changed: (sql) => (statements.push(sql), 1),
  };
}
