import { expect, it } from "vitest";

it("exports a small, reviewed public surface", async () => {
  expect(Object.keys(await import("@ferry/engine")).sort()).toMatchInlineSnapshot(`
    [
      "CompileError",
      "Connections",
      "MissingEnvironmentError",
      "REJECT_REASONS",
      "checkWarehouseUrl",
      "compile",
      "coverageText",
      "deriveWarnings",
      "describeFailure",
      "diffPlans",
      "droppedList",
      "eventLabel",
      "explainColumnError",
      "listRejections",
      "namesText",
      "preview",
      "relationName",
      "run",
      "runFailed",
      "runPlans",
    ]
  `);
});
