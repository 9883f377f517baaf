import type { Dialect } from "../dialect.js";
import type { Conflict, Driver } from "../driver.js";

/** Rows a multi-row statement may carry under the dialect's limit on bound parameters. */
export function slices<T>(dialect: Dialect, rows: readonly T[], columns: number): T[][] {
  const size = Math.max(1, Math.floor(dialect.maxBindings / columns / 2));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/**
 * A multi-row INSERT of `count` rows, `?` for each value, and what a row meeting an existing key
 * does, in the dialect's words. MERGE where keys are not enforced (BigQuery, Snowflake).
 */
export function renderInsert(dialect: Dialect, table: string, columns: readonly string[], count: number, conflict?: Conflict): string {
  const list = columns.join(", ");
  const values = Array.from({ length: count }, () => `(${columns.map(() => "?").join(", ")})`).join(", ");
  if (!conflict) return `INSERT INTO ${table} (${list}) VALUES ${values}`;
  const update = conflict.update ?? [];
  switch (dialect.upsert) {
    case "on-conflict": {
      const action = update.length ? `DO UPDATE SET ${update.map((c) => `${c} = excluded.${c}`).join(", ")}` : "DO NOTHING";
      return `INSERT INTO ${table} (${list}) VALUES ${values} ON CONFLICT (${conflict.key.join(", ")}) ${action}`;
    }
    case "on-duplicate-key":
      return update.length
        ? `INSERT INTO ${table} (${list}) VALUES ${values} ON DUPLICATE KEY UPDATE ${update.map((c) => `${c} = VALUES(${c})`).join(", ")}`
        : `INSERT IGNORE INTO ${table} (${list}) VALUES ${values}`;
    case "merge": {
      const row = `SELECT ${columns.map((c) => `? AS ${c}`).join(", ")}`;
      const source = Array.from({ length: count }, () => row).join(" UNION ALL ");
      return [
        `MERGE INTO ${table} t USING (${source}) v ON ${conflict.key.map((c) => `t.${c} = v.${c}`).join(" AND ")}`,
        ...(update.length ? [`WHEN MATCHED THEN UPDATE SET ${update.map((c) => `${c} = v.${c}`).join(", ")}`] : []),
        `WHEN NOT MATCHED THEN INSERT (${list}) VALUES (${columns.map((c) => `v.${c}`).join(", ")})`,
      ].join(" ");
    }
  }
}

/** Rows inserted by multi-row statements under the dialect's limit on parameters; returns rows written. */
export async function insertInSlices(
  driver: Pick<Driver, "dialect" | "change">,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  conflict?: Conflict,
): Promise<number> {
  let written = 0;
  for (const slice of slices(driver.dialect, rows, columns.length)) {
    written += await driver.change(renderInsert(driver.dialect, table, columns, slice.length, conflict), slice.flat());
  }
  return written;
}
