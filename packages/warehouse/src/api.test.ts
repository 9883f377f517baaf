import { expect, it } from "vitest";

it("exports a small, reviewed public surface", async () => {
  expect(Object.keys(await import("@ferry/warehouse")).sort()).toMatchInlineSnapshot(`
    [
      "DIALECTS",
      "FINGERPRINT_COLUMN",
      "PK_COLUMN",
      "WarehouseError",
      "connect",
      "dialectFor",
      "probeOf",
      "redact",
      "relationName",
      "renderNewRowsSql",
      "selectedColumns",
    ]
  `);
});
