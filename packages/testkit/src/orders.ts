import type { Warehouse } from "@ferry/warehouse";

/** Row categories cycle with the order id, so every test knows exactly what should happen. */
export const ORDER_CATEGORIES = [
  "valid",
  "valid",
  "phone_only",
  "bad_email_good_phone",
  "valid",
  "invalid_email",
  "event_too_old",
  "invalid_currency",
  "missing_identifier",
  "valid",
] as const;
export type OrderCategory = (typeof ORDER_CATEGORIES)[number];
/** Sent by default: an invalid currency is left out of the event, with the value it qualifies. */
export const SENT_CATEGORIES: ReadonlySet<OrderCategory> = new Set(["valid", "phone_only", "bad_email_good_phone", "invalid_currency"]);

export const categoryOf = (id: number): OrderCategory => ORDER_CATEGORIES[id % ORDER_CATEGORIES.length]!;
export const rawEmailOf = (id: number) => `Customer.${id}@Example.COM`;
/** French mobiles in the allocated 06 1x ranges (libphonenumber refuses e.g. 06 93, Mayotte's). */
export const rawPhoneOf = (id: number) =>
  `06 1${id % 10} ${10 + (Math.floor(id / 10) % 90)} ${10 + (Math.floor(id / 900) % 90)} ${10 + (Math.floor(id / 81_000) % 90)}`;

const utc = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");

export function orderRow(id: number, nowMs: number) {
  const category = categoryOf(id);
  const at = category === "event_too_old" ? nowMs - 40 * 86_400_000 : nowMs - 3_600_000 - (id % 1000) * 60_000;
  return {
    order_id: id,
    purchased_at: utc(at),
    email:
      category === "phone_only" || category === "missing_identifier"
        ? null
        : category === "invalid_email" || category === "bad_email_good_phone"
          ? `customer${id}-at-example.com`
          : rawEmailOf(id),
    phone: category === "phone_only" || category === "bad_email_good_phone" ? rawPhoneOf(id) : null,
    amount: `${(id % 97) + 0.5}`,
    currency: category === "invalid_currency" ? "EURO" : "EUR",
  };
}

export type OrderRow = ReturnType<typeof orderRow>;

const DDL: Record<string, string> = {
  postgres:
    "CREATE TABLE orders (order_id BIGINT PRIMARY KEY, purchased_at TIMESTAMP NOT NULL, email VARCHAR(200), phone VARCHAR(40), amount NUMERIC(10,2), currency VARCHAR(8))",
  mysql:
    "CREATE TABLE orders (order_id BIGINT PRIMARY KEY, purchased_at DATETIME NOT NULL, email VARCHAR(200), phone VARCHAR(40), amount DECIMAL(10,2), currency VARCHAR(8))",
  sqlite:
    "CREATE TABLE orders (order_id INTEGER PRIMARY KEY, purchased_at TEXT NOT NULL, email TEXT, phone TEXT, amount NUMERIC, currency TEXT)",
  duckdb:
    "CREATE TABLE orders (order_id BIGINT PRIMARY KEY, purchased_at TIMESTAMP NOT NULL, email VARCHAR(200), phone VARCHAR(40), amount DECIMAL(10,2), currency VARCHAR(8))",
};

/** Creates `orders` with native types for the warehouse (timestamps as timestamps). */
export async function createOrders(warehouse: Warehouse): Promise<void> {
  await warehouse.execute(DDL[warehouse.dialect.name]!);
}

/** Inserts orders [from, to] in multi-row statements with bound values. */
export async function insertOrders(warehouse: Warehouse, from: number, to: number, nowMs: number): Promise<void> {
  const columns = ["order_id", "purchased_at", "email", "phone", "amount", "currency"] as const;
  for (let start = from; start <= to; start += 500) {
    const ids = Array.from({ length: Math.min(500, to - start + 1) }, (_, i) => start + i);
    const rows = ids.map((id) => orderRow(id, nowMs));
    const placeholders = rows.map(() => `(${columns.map(() => "?").join(", ")})`).join(", ");
    await warehouse.execute(
      `INSERT INTO orders (${columns.join(", ")}) VALUES ${placeholders}`,
      rows.flatMap((r) => columns.map((c) => r[c])),
    );
  }
}

export function expectedSent(from: number, to: number): number {
  let n = 0;
  for (let id = from; id <= to; id++) if (SENT_CATEGORIES.has(categoryOf(id))) n++;
  return n;
}
