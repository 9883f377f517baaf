import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { EVENT_NAMES } from "./events.js";
import { jsonSchemas } from "./json-schema.js";

describe("generated JSON Schemas", () => {
  it.each(Object.entries(jsonSchemas()))("schemas/%s is committed and current", async (file, content) => {
    const committed = await readFile(new URL(`../../../schemas/${file}`, import.meta.url), "utf8");
    // On failure: run `npm run schemas` and commit the result.
    expect(committed).toBe(content);
  });

  it("offers every accepted event name and every mapping field for completion", () => {
    const schema = JSON.parse(jsonSchemas()["activation.schema.json"]);
    expect(schema.properties.event.anyOf[0].enum).toEqual([...EVENT_NAMES]);
    expect(schema.properties.event.anyOf[1]).toMatchObject({ type: "object", required: ["column"] });
    expect(Object.keys(schema.properties.mapping.properties)).toEqual([
      "event_time",
      "email",
      "phone",
      "external_id",
      "value",
      "currency",
      "num_items",
      "order_id",
      "shop_id",
      "event_id",
      "contents",
      "content_type",
      "description",
      "query",
      "limited_data_use",
      "phone_region",
    ]);
    expect(schema.properties.mapping.required).toEqual(["event_time"]);
    expect(schema.additionalProperties).toBe(false);
  });
});
