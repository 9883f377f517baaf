import type { Warehouse } from "@ferry/engine";

/** mulberry32: the demo data is the same on every machine. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = [
  "camille",
  "louis",
  "léa",
  "hugo",
  "chloé",
  "jules",
  "manon",
  "arthur",
  "inès",
  "gabriel",
  "sarah",
  "noah",
  "emma",
  "adam",
  "jade",
];
const LAST = ["martin", "bernard", "dubois", "thomas", "robert", "richard", "petit", "durand", "leroy", "moreau", "simon", "laurent"];
const DOMAINS = ["gmail.com", "orange.fr", "free.fr", "outlook.com", "yahoo.fr", "laposte.net"];
const PRODUCTS = ["Espresso beans", "Milk frother", "Ceramic cup", "Travel mug", "Grinder"];
const COLOURS = ["black", "white", "red"];
const STAGES = ["Lead", "Lead", "Lead", "Contact", "SubmitApplication"];
const STORES = ["paris-01", "paris-02", "lyon-01", "marseille-01", "lille-01", "bordeaux-01"];

const utc = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");

export interface SeedCounts {
  pos_orders: number;
  crm_leads: number;
  subscriptions: number;
}

async function insert(warehouse: Warehouse, table: string, rows: Record<string, unknown>[]) {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  for (let i = 0; i < rows.length; i += 200) {
    const slice = rows.slice(i, i + 200);
    await warehouse.execute(
      `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${slice.map(() => `(${columns.map(() => "?").join(", ")})`).join(", ")}`,
      slice.flatMap((r) => columns.map((c) => r[c] ?? null)),
    );
  }
}

/**
 * Realistic conversions for the three example activations, with bad rows of every kind
 * (unusable emails and phones, no identifier, too old, in the future, bad values and
 * currencies, missing times) so the demo shows rejections and warnings too.
 */
/** A made-up person: an untidy email and a French mobile written one of the ways people write it. */
function personOf(random: () => number, pick: <T>(items: readonly T[]) => T): { email: string; phone: string } {
  const first = pick(FIRST);
  const last = pick(LAST);
  const n = Math.floor(random() * 100);
  const raw = `${first}.${last}${n}@${pick(DOMAINS)}`;
  // Real data arrives untidy: mixed case, stray spaces.
  const email = random() < 0.2 ? ` ${raw.toUpperCase()} ` : raw;
  const digits = `6${Math.floor(10_000_000 + random() * 89_999_999)}`.replace(/^6(\d)/, "61$1").slice(0, 9);
  const phone = pick([
    `0${digits.replace(/(\d)(\d{2})(\d{2})(\d{2})(\d{2})/, "$1 $2 $3 $4 $5")}`,
    `+33${digits}`,
    `0033 ${digits}`,
    `+33 (0)${digits}`,
  ]);
  return { email, phone };
}

/** The demo's tables, in types every embedded warehouse reads (SQLite, DuckDB). */
const TABLES = [
  "CREATE TABLE IF NOT EXISTS pos_orders (order_id TEXT PRIMARY KEY, purchased_at TEXT, email TEXT, phone TEXT, amount TEXT, currency TEXT, items INTEGER, store_id TEXT, line_items TEXT)",
  "CREATE TABLE IF NOT EXISTS crm_leads (lead_id INTEGER PRIMARY KEY, qualified_at TEXT, email TEXT, phone TEXT, crm_contact_id TEXT, stage TEXT)",
  "CREATE TABLE IF NOT EXISTS subscriptions (subscription_id INTEGER, customer_email TEXT, started_at TEXT, plan TEXT, monthly_price REAL, status TEXT, PRIMARY KEY (subscription_id, started_at))",
];

export async function seedDemo(warehouse: Warehouse, nowMs: number, counts: SeedCounts, firstId = 1): Promise<void> {
  const random = prng(42 + firstId);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const person = () => personOf(random, pick);
  const recent = () => nowMs - Math.floor(random() * 20 * 86_400_000) - 3_600_000;

  for (const ddl of TABLES) await warehouse.execute(ddl);

  const orders = Array.from({ length: counts.pos_orders }, (_, i) => {
    const id = firstId + i;
    const { email, phone } = person();
    const row: Record<string, unknown> = {
      order_id: `o-${String(id).padStart(6, "0")}`,
      purchased_at: utc(recent()),
      email: random() < 0.85 ? email : null,
      phone: random() < 0.6 ? phone : null,
      amount: (5 + random() * 195).toFixed(2),
      currency: random() < 0.9 ? "EUR" : "usd",
      items: 1 + Math.floor(random() * 5),
      store_id: pick(STORES),
    };
    if (row["email"] === null && row["phone"] === null) row["email"] = email;
    // The basket as a POS exports it, JSON with a key TikTok does not read (sku_colour), derived
    // from the row so the random stream, and so the demo's figures, stay as they were.
    const count = row["items"] as number;
    row["line_items"] = JSON.stringify(
      Array.from({ length: Math.min(count, 3) }, (_, k) => ({
        content_id: `sku-${(id * 7 + k) % 500}`,
        content_name: PRODUCTS[(id + k) % PRODUCTS.length],
        price: Number((Number(row["amount"]) / count).toFixed(2)) || 1,
        quantity: k === 0 ? count - Math.min(count, 3) + 1 : 1,
        sku_colour: COLOURS[(id + k) % COLOURS.length],
      })),
    );
    const bad = Math.floor(random() * 100);
    if (bad === 0) Object.assign(row, { email: "not-an-email", phone: null });
    else if (bad === 1) Object.assign(row, { email: null, phone: null });
    else if (bad === 2) row["purchased_at"] = utc(nowMs - (35 + Math.floor(random() * 30)) * 86_400_000);
    else if (bad === 3) row["purchased_at"] = utc(nowMs + 2 * 86_400_000);
    else if (bad === 4) row["currency"] = "EURO";
    else if (bad === 5) row["amount"] = "12,50";
    else if (bad === 6) row["purchased_at"] = null;
    else if (bad === 7) Object.assign(row, { email: null, phone: "12 34" });
    return row;
  });
  await insert(warehouse, "pos_orders", orders);

  const leads = Array.from({ length: counts.crm_leads }, (_, i) => {
    const { email, phone } = person();
    const bad = Math.floor(random() * 50);
    return {
      lead_id: firstId + i,
      qualified_at: bad === 0 ? utc(nowMs - 45 * 86_400_000) : new Date(recent()).toISOString(),
      email: bad === 1 ? "n/a" : email,
      phone: random() < 0.5 ? phone : null,
      crm_contact_id: `crm-${100_000 + firstId + i}`,
      // The CRM's stage names TikTok's event: one table, one event name a row.
      // One in forty a typo: the demo shows invalid_event with the closest accepted name.
      stage: (firstId + i) % 40 === 0 ? "Leed" : STAGES[(firstId + i) % STAGES.length],
    };
  });
  await insert(warehouse, "crm_leads", leads);

  const subscriptions = Array.from({ length: counts.subscriptions }, (_, i) => {
    const { email } = person();
    return {
      subscription_id: firstId + i,
      customer_email: random() < 0.03 ? null : email,
      started_at: utc(recent()),
      plan: pick(["basic", "plus", "premium"]),
      monthly_price: pick([9.99, 14.99, 24.99]),
      status: random() < 0.9 ? "active" : "cancelled",
    };
  });
  await insert(warehouse, "subscriptions", subscriptions);
}
