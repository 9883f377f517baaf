import { expect, it } from "vitest";

it("exports a small, reviewed public surface", async () => {
  expect(Object.keys(await import("@ferry/tiktok-sandbox")).sort()).toMatchInlineSnapshot(`
    [
      "checkEvents",
      "startSandbox",
    ]
  `);
});
