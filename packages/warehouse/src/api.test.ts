import { expect, it } from "vitest";

it("exports a small, reviewed public surface", async () => {
  expect(Object.keys(await import("@ferry/warehouse")).sort()).toMatchInlineSnapshot(`
    [
      "DIALECTS",
      "WarehouseError",
      "connect",
      "dialectFor",
      "qualifiedState",
      "redact",
      "relationName",
      "renderNewRowsSql",
      "selectedColumns",
    ]
  `);
});
