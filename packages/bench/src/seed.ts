import type { Warehouse } from "@ferry/warehouse";

export const COLUMNS = "order_id, purchased_at, email, phone, amount, currency, items, store_id";

/**
 * Seeds conversions [from, to] with SQL that the warehouse runs itself (generate_series or a
 * recursive CTE), so seeding a million rows takes seconds and stays outside the timed part.
 * Every row is valid: emails, French mobiles, times within the last 20 days.
 */
export async function seed(warehouse: Warehouse, from: number, to: number, nowMs: number): Promise<void> {
  const now = Math.floor(nowMs / 1000);
  if (warehouse.dialect.name === "postgres") {
    if (from === 1) {
      await warehouse.execute(
        "CREATE TABLE conversions (order_id BIGINT PRIMARY KEY, purchased_at TIMESTAMP NOT NULL, email TEXT, phone TEXT, amount NUMERIC(10,2), currency TEXT, items INT, store_id TEXT)",
      );
    }
    await warehouse.execute(
      `INSERT INTO conversions (${COLUMNS})
       SELECT g, to_timestamp(? - 3600 - (g % 1728000)) AT TIME ZONE 'UTC', 'Customer.' || g || '@Example.com',
              '06 1' || (g % 10) || ' ' || lpad(((g / 10) % 100)::text, 2, '0') || ' ' || lpad(((g / 1000) % 100)::text, 2, '0') || ' ' || lpad(((g / 100000) % 100)::text, 2, '0'),
              (g % 500) + 0.99, 'EUR', 1 + g % 5, 'shop-' || (g % 20)
       FROM generate_series(?::bigint, ?::bigint) g`,
      [now, from, to],
    );
    await warehouse.execute("VACUUM ANALYZE conversions");
    return;
  }
  if (warehouse.dialect.name === "duckdb") {
    if (from === 1) {
      await warehouse.execute(
        "CREATE TABLE conversions (order_id BIGINT PRIMARY KEY, purchased_at TIMESTAMP NOT NULL, email VARCHAR, phone VARCHAR, amount DECIMAL(10,2), currency VARCHAR, items INTEGER, store_id VARCHAR)",
      );
    }
    await warehouse.execute(
      `INSERT INTO conversions (${COLUMNS})
       SELECT g, epoch_ms((? - 3600 - (g % 1728000)) * 1000), 'Customer.' || g || '@Example.com',
              '06 1' || (g % 10) || ' ' || lpad(((g // 10) % 100)::VARCHAR, 2, '0') || ' ' || lpad(((g // 1000) % 100)::VARCHAR, 2, '0') || ' ' || lpad(((g // 100000) % 100)::VARCHAR, 2, '0'),
              (g % 500) + 0.99, 'EUR', 1 + g % 5, 'shop-' || (g % 20)
       FROM generate_series(?::BIGINT, ?::BIGINT) t(g)`,
      [now, from, to],
    );
    return;
  }
  if (from === 1) {
    await warehouse.execute(
      "CREATE TABLE conversions (order_id INTEGER PRIMARY KEY, purchased_at TEXT NOT NULL, email TEXT, phone TEXT, amount NUMERIC, currency TEXT, items INTEGER, store_id TEXT)",
    );
  }
  await warehouse.execute(
    `WITH RECURSIVE g(x) AS (SELECT ? UNION ALL SELECT x + 1 FROM g WHERE x < ?)
     INSERT INTO conversions (${COLUMNS})
     SELECT x, datetime(? - 3600 - (x % 1728000), 'unixepoch'), 'Customer.' || x || '@Example.com',
            printf('06 1%d %02d %02d %02d', x % 10, (x / 10) % 100, (x / 1000) % 100, (x / 100000) % 100),
            (x % 500) + 0.99, 'EUR', 1 + x % 5, 'shop-' || (x % 20)
     FROM g`,
    [from, to, now],
  );
}
