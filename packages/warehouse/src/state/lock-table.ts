import { hostname } from "node:os";
import type { Driver, Lock } from "../driver.js";

/**
 * After this long a lock held from another host is taken over: the longest a GitHub Actions
 * job may run, so its holder is gone (a runner that died cannot release it).
 */
export const LEASE_MS = 6 * 60 * 60 * 1000;

/**
 * One run per activation where the server holds no session locks (SQLite, DuckDB, BigQuery,
 * Snowflake): a row in the state's lock table, claimed by one atomic statement. A holder whose
 * process is gone from this host, or whose lease ran out, is taken over by compare-and-swap.
 */
export async function claimLockRow(driver: Driver, table: string, activation: string, now = Date.now()): Promise<Lock | undefined> {
  const me = { pid: process.pid, host: hostname() };
  const release = async () => {
    await driver.change(`DELETE FROM ${table} WHERE activation = ? AND pid = ? AND host = ?`, [activation, me.pid, me.host]);
  };
  // Two claims at once may both be refused (a conflict at commit): a third look settles it.
  for (let attempt = 0; attempt < 3; attempt++) {
    const claimed = await driver
      .insert(table, ["activation", "pid", "host", "acquired_at"], [[activation, me.pid, me.host, now]], { key: ["activation"] })
      .catch((error: Error) => {
        // DuckDB refuses the second of two claims at commit, BigQuery and Snowflake may refuse
        // a concurrent MERGE: another run may hold it now.
        if (/constraint|duplicate key|conflict|concurrent update|could not serialize/i.test(error.message)) return 0;
        throw error;
      });
    if (claimed === 1) return { release };
    const [holder] = await driver.query(`SELECT pid, host, acquired_at FROM ${table} WHERE activation = ?`, [activation]);
    if (!holder) continue;
    const held = { pid: Number(holder["pid"]), host: String(holder["host"]), at: Number(holder["acquired_at"]) };
    const dead = held.host === me.host ? !processAlive(held.pid) : now - held.at > LEASE_MS;
    if (!dead) return undefined;
    const taken = await driver.change(
      `UPDATE ${table} SET pid = ?, host = ?, acquired_at = ? WHERE activation = ? AND pid = ? AND host = ? AND acquired_at = ?`,
      [me.pid, me.host, now, activation, held.pid, held.host, held.at],
    );
    return taken === 1 ? { release } : undefined;
  }
  return undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}
