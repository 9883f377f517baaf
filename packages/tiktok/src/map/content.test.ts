import { describe, expect, it } from "vitest";
import { OTHER_KEY, parseContents, parseContentType, parseEventId, parseEventName, parseFlag, parseText } from "./content.js";

describe("the fields peers map", () => {
  it("reads event names as TikTok spells them, trimmed, 2025 names included", () => {
    expect(parseEventName(" Purchase ")).toBe("Purchase");
    expect(parseEventName("SubmitApplication")).toBe("SubmitApplication");
    expect(parseEventName("purchase")).toBeUndefined();
    expect(parseEventName(3)).toBeUndefined();
  });

  it("takes an event_id of 1 to 255 characters, trimmed, numbers as text", () => {
    expect(parseEventId("  web-1 ")).toBe("web-1");
    expect(parseEventId(12345678901234567890n)).toBe("12345678901234567890");
    expect(parseEventId("x".repeat(255))).toHaveLength(255);
    expect(parseEventId("x".repeat(256))).toBeUndefined();
    expect(parseEventId("   ")).toBeUndefined();
    expect(parseEventId({})).toBeUndefined();
  });

  it("reads booleans as warehouses give them", () => {
    for (const yes of [true, 1, 1n, "true", "T", " yes "]) expect(parseFlag(yes)).toBe(true);
    for (const no of [false, 0, 0n, "false", "f", "NO"]) expect(parseFlag(no)).toBe(false);
    for (const bad of [2, "maybe", null, {}]) expect(parseFlag(bad)).toBeUndefined();
  });

  it("keeps free text and content types within their bounds", () => {
    expect(parseText(" red shoes ")).toBe("red shoes");
    expect(parseText(42)).toBe("42");
    expect(parseText("x".repeat(1001))).toBeUndefined();
    expect(parseContentType(" Product_Group ")).toBe("product_group");
    expect(parseContentType("service")).toBeUndefined();
  });

  it("normalises contents from JSON text or a parsed array, naming the keys it leaves out", () => {
    expect(parseContents('[{"content_id": 7, "price": "9.50", "quantity": "2", "brand": "Acme", "colour": "red", "size": null}]')).toEqual({
      items: [{ content_id: "7", price: 9.5, quantity: 2, brand: "Acme" }],
      unknownKeys: ["colour"],
    });
    expect(parseContents([{ content_name: "Hat", content_category: "apparel", content_type: "product" }])).toEqual({
      items: [{ content_name: "Hat", content_category: "apparel", content_type: "product" }],
      unknownKeys: [],
    });
    // Nothing to send: absent, not invalid.
    expect(parseContents("[]")).toBeNull();
    expect(parseContents([{ colour: "red" }])).toBeNull();
  });

  it("names an unknown key only when it looks like a field name: data used as a key is never reported", () => {
    const parsed = parseContents([{ content_id: "a", "ann@example.com": 1, "+33612345678": 2, sku_colour: "red" }]);
    expect(parsed!.unknownKeys).toEqual([OTHER_KEY, "sku_colour"]);
    expect(JSON.stringify(parsed)).not.toMatch(/ann@example|33612345678/);
  });

  it("refuses a list with any invalid item, as TikTok would refuse the batch", () => {
    for (const bad of [
      "not json",
      "{}",
      [1],
      [[]],
      [{ price: -1 }],
      [{ price: "1,50" }],
      [{ quantity: 0 }],
      [{ quantity: 1.5 }],
      [{ content_type: "service" }],
      [{ content_id: { nested: true } }],
      Array.from({ length: 1001 }, () => ({ content_id: "a" })),
    ])
      expect(parseContents(bad)).toBeUndefined();
  });
});
