import { expect, it } from "vitest";

it("exports a small, reviewed public surface", async () => {
  expect(Object.keys(await import("@ferry/warehouse")).sort()).toMatchInlineSnapshot(`
    [
      "DIALECTS",
      "PK_COLUMN",
      "WarehouseError",
      "connect",
      "dialectFor",
      "probeOf",
      "qualifiedState",
      "redact",
      "relationName",
      "rememberedOf",
      "renderNewRowsSql",
      "selectedColumns",
    ]
  `);
});
