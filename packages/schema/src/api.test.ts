import { expect, it } from "vitest";

it("exports a small, reviewed public surface", async () => {
  expect(Object.keys(await import("@ferry/schema")).sort()).toMatchInlineSnapshot(`
    [
      "ActivationSchema",
      "DEFAULT_PROJECT",
      "DEPRECATED_EVENT_NAMES",
      "EVENT_NAMES",
      "ProjectSchema",
      "TEXT_MAX",
      "closest",
      "jsonSchemas",
      "loadActivations",
      "nearest",
      "parseActivation",
      "parseProject",
      "scheduleToCron",
    ]
  `);
});
