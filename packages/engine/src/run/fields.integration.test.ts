// The fields peers map (shared/tiktok-api.md, "More fields an activation can map"), end to end
// from each warehouse to what TikTok receives: the event name and event_id from columns,
// contents from a JSON column, content_type, description, query and limited_data_use.
import { activationYaml, ALL_WAREHOUSES, describeWarehouses, planFor, runFixture, type WarehouseKind } from "@ferry/testkit";
import { expect, it } from "vitest";
import { run } from "./run.js";

const at = new Date(Date.now() - 3_600_000).toISOString().slice(0, 19).replace("T", " ");
const yaml = activationYaml({
  query: "select * from crm_stages",
  primaryKey: "id",
  event: "{ column: stage }",
  mapping: {
    event_time: "at",
    email: "email",
    phone: "phone",
    event_id: "conversion_id",
    contents: "items",
    content_type: { const: "product" },
    description: "note",
    query: "search",
    limited_data_use: "ldu",
  },
  minIdentifierCoverage: 90,
});

const jsonType = (kind: WarehouseKind) =>
  ({ postgres: "JSONB", mysql: "JSON", duckdb: "JSON", sqlite: "TEXT", bigquery: "JSON", snowflake: "VARIANT" })[kind];
const q = (s: string | null) => (s === null ? "NULL" : `'${s}'`);

describeWarehouses(ALL_WAREHOUSES, (kind) => {
  const fx = runFixture(kind, async (warehouse) => {
    await warehouse.execute(
      `CREATE TABLE crm_stages (id VARCHAR(10), ${warehouse.dialect.quotePart("at")} VARCHAR(30), email VARCHAR(60), phone VARCHAR(30), stage VARCHAR(30),
         conversion_id VARCHAR(300), items ${jsonType(kind)}, note VARCHAR(100), search VARCHAR(100), ldu BOOLEAN)`,
    );
    const rows: [string, string | null, string | null, string, string | null, string | null, string | null, string | null, string][] = [
      [
        "a",
        "ann@example.com",
        "+33612345678",
        "Purchase",
        "web-1",
        '[{"content_id":"sku-1","price":"9.50","quantity":2,"colour":"red"},{"content_id":42,"content_type":"product_group"}]',
        "gift",
        "red shoes",
        "TRUE",
      ],
      ["b", "bob@example.com", null, " Lead ", "  web-2  ", null, null, null, "FALSE"],
      ["c", "cid@example.com", null, "Purchse", "web-3", null, null, null, "FALSE"],
      ["d", "dee@example.com", null, "Lead", "", null, null, null, "FALSE"],
      ["e", "eve@example.com", null, "ClickButton", "web-5", null, null, null, "FALSE"],
      ["f", null, "+33612345679", "Purchase", "web-6", '[{"price":-1}]', null, null, "FALSE"],
    ];
    const values = rows.map(
      ([id, email, phone, stage, conv, items, note, search, ldu]) =>
        `(${q(id)}, '${at}', ${q(email)}, ${q(phone)}, ${q(stage)}, ${q(conv)}, ${q(items)}, ${q(note)}, ${q(search)}, ${ldu})`,
    );
    await warehouse.execute(`INSERT INTO crm_stages VALUES ${values.join(", ")}`);
  });

  it("sends each row's own event name, event_id and items, and rejects what TikTok would not take", async () => {
    const report = await run(planFor(fx.temp, yaml, null), fx);
    expect(report.counts).toMatchObject({
      read: 6,
      sent: 4,
      rejectedByReason: { invalid_event: 1, invalid_event_id: 1 },
      droppedFields: { contents: { invalid_contents: 1 } },
      byEvent: { Purchase: 2, Lead: 1, ClickButton: 1 },
      identifiers: { email: 3, phone: 2, twoOrMore: 1 },
      unknownContentKeys: { colour: 1 },
    });
    // The closest accepted name, never the row's value.
    expect(report.samples.find((s) => s.reason === "invalid_event")).toMatchObject({
      field: "event",
      message: "closest accepted name: Purchase",
    });
    const byId = new Map(fx.sandbox.accepted().map((a) => [a.event["event_id"], a.event]));
    expect([...byId.keys()].sort()).toEqual(["web-1", "web-2", "web-5", "web-6"]);
    const first = byId.get("web-1")!;
    expect(first["event"]).toBe("Purchase");
    expect(first["limited_data_use"]).toBe(true);
    expect(first["properties"]).toEqual({
      contents: [
        { content_id: "sku-1", price: 9.5, quantity: 2 },
        { content_id: "42", content_type: "product_group" },
      ],
      content_type: "product",
      description: "gift",
      query: "red shoes",
    });
    expect(byId.get("web-2")).toMatchObject({ event: "Lead", limited_data_use: false, properties: { content_type: "product" } });
    // Invalid items are left out, the event sent without them.
    expect(byId.get("web-6")!["properties"]).toEqual({ content_type: "product" });
    // Coverage below the activation's 90%: email 75%, phone 50%; and the deprecated name, once.
    expect(report.warnings.map((w) => w.code)).toEqual(expect.arrayContaining(["identifier_coverage", "deprecated_event"]));
    expect(report.warnings.find((w) => w.code === "identifier_coverage")!.message).toContain(
      "email 75.0% (at least 90%), phone 50.0% (at least 90%)",
    );
  });
});
