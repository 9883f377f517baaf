// Phone numbers of several countries in one activation: each row's national number is read in
// its own region, end to end from the warehouse to what TikTok receives.
import { createHash } from "node:crypto";
import { activationYaml, ALL_WAREHOUSES, describeWarehouses, planFor, runFixture } from "@ferry/testkit";
import { expect, it } from "vitest";
import { run } from "./run.js";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const at = new Date(Date.now() - 3_600_000).toISOString().slice(0, 19).replace("T", " ");
const yaml = activationYaml({
  query: "select * from stores_sales",
  primaryKey: "id",
  mapping: { event_time: "at", phone: "phone", phone_region: "country", value: "amount", currency: "cur" },
});

describeWarehouses(ALL_WAREHOUSES, (kind) => {
  const fx = runFixture(kind, async (warehouse) => {
    await warehouse.execute(
      `CREATE TABLE stores_sales (id VARCHAR(10), ${warehouse.dialect.quotePart("at")} VARCHAR(30), phone VARCHAR(40), country VARCHAR(10), amount VARCHAR(20), cur VARCHAR(10))`,
    );
    await warehouse.execute(
      `INSERT INTO stores_sales VALUES ${Array(6).fill("(?, ?, ?, ?, ?, ?)").join(", ")}`,
      [
        ["paris", at, "06 12 34 56 78", "fr", "19.90", "EUR"],
        ["austin", at, "(512) 555-0147", "US", "1,234.50", "USD"],
        ["intl", at, "+44 20 7946 0958", null, "5", "euro"],
        ["nowhere", at, "06 12 34 56 79", null, "5", "EUR"],
        ["unknown", at, "06 12 34 56 70", "France", "5", "EUR"],
        ["leeds", at, "020 7946 0959", "GB", "7", "GBP"],
      ].flat(),
    );
  });

  it("reads each row's phone in its own region, and sends rows without the fields they got wrong", async () => {
    const report = await run(planFor(fx.temp, yaml, null), fx);
    expect(report.counts).toMatchObject({
      read: 6,
      sent: 4,
      rejectedByReason: { phone_needs_region: 2 },
      droppedFields: { value: { invalid_value: 1, value_without_currency: 1 }, currency: { invalid_currency: 1 } },
    });
    const byPhone = new Map(fx.sandbox.accepted().map((a) => [(a.event["user"] as { phone: string[] }).phone[0], a.event]));
    expect([...byPhone.keys()].sort()).toEqual(
      [sha("+33612345678"), sha("+15125550147"), sha("+442079460958"), sha("+442079460959")].sort(),
    );
    expect(byPhone.get(sha("+33612345678"))!["properties"]).toEqual({ value: 19.9, currency: "EUR" });
    // "1,234.50" is not a number: the conversion is sent with its currency and without a value.
    expect(byPhone.get(sha("+15125550147"))!["properties"]).toEqual({ currency: "USD" });
    // "euro" is no currency: neither it nor the value it qualifies is sent.
    expect(byPhone.get(sha("+442079460958"))).not.toHaveProperty("properties");
  });
});
