import { expect, it } from "vitest";

it("exports a small, reviewed public surface", async () => {
  expect(Object.keys(await import("@ferry/engine")).sort()).toMatchInlineSnapshot(`
    [
      "CompileError",
      "Connections",
      "MissingEnvironmentError",
      "REJECT_REASONS",
      "compile",
      "deriveWarnings",
      "describeFailure",
      "diffPlans",
      "droppedList",
      "explainColumnError",
      "listRejections",
      "preview",
      "relationName",
      "run",
      "runPlans",
    ]
  `);
});
