import { expect, it } from "vitest";

it("exports a small, reviewed public surface", async () => {
  expect(Object.keys(await import("@ferry/github")).sort()).toMatchInlineSnapshot(`
    [
      "createOctokit",
      "ledgerRuns",
      "renderIssueBody",
      "renderJobSummary",
      "renderPlanComment",
      "syncWarningIssue",
      "upsertPlanComment",
    ]
  `);
});
