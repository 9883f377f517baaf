import type { RunReport } from "@ferry/engine";
import { startGitHubStandIn, type GitHubStandIn } from "@ferry/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { createOctokit } from "./octokit.js";
import { PLAN_MARKER } from "./render.js";
import { syncWarningIssue, upsertPlanComment } from "./sync.js";

const report = (over: Partial<RunReport> = {}): RunReport => ({
  reportVersion: 1,
  runId: "r1",
  activation: "pos-purchases",
  status: "success",
  dryRun: false,
  fullRefresh: false,
  startedAt: "2026-11-25T06:00:00.000Z",
  finishedAt: "2026-11-25T06:00:01.000Z",
  durationMs: 1000,
  eventSetId: "7100000000000000001",
  counts: { read: 100, sent: 80, rejected: 20, rejectedByReason: { invalid_email: 20 }, deferred: 0, notSent: 0 },
  rowsPerSecond: 100,
  batches: 1,
  requests: 1,
  retries: { throttled: 0, serverErrors: 0, network: 0, waitedMs: 0 },
  samples: [{ reason: "invalid_email", field: "email", primaryKey: { order_id: "o-1" } }],
  warnings: [
    { code: "rejected_share", severity: "warning", message: "20 of 100 rows (20.0%) were rejected", fix: "Fix the rows upstream." },
  ],
  ...over,
});

let github: GitHubStandIn;
afterEach(() => github?.close());

describe("syncWarningIssue", () => {
  it("opens one issue, comments while it is open, and closes it on the first healthy run", async () => {
    // Unrelated issues spread over several pages: the marker must be found by paginating.
    github = await startGitHubStandIn({
      pageSize: 2,
      existing: Array.from({ length: 5 }, (_, i) => ({ title: `other ${i}`, body: "unrelated" })),
    });
    const octokit = createOctokit({ token: "gh-test-token", baseUrl: github.url, throttle: false });
    const repo = { owner: "acme", repo: "shop" };
    expect(
      await syncWarningIssue(octokit, {
        ...repo,
        report: report(),
        labels: ["ferry"],
        context: { runUrl: "https://github.example/run/1", file: "activations/pos.yml" },
      }),
    ).toMatchObject({ action: "opened", number: 6 });
    expect(await syncWarningIssue(octokit, { ...repo, report: report() })).toMatchObject({ action: "commented", number: 6 });
    const healthy = report({
      warnings: [],
      counts: { read: 0, sent: 0, rejected: 0, rejectedByReason: {}, deferred: 0, notSent: 0 },
      samples: [],
    });
    expect(await syncWarningIssue(octokit, { ...repo, report: healthy })).toMatchObject({ action: "closed", number: 6 });
    expect(await syncWarningIssue(octokit, { ...repo, report: healthy })).toEqual({ action: "none" });
    const issue = github.issues[5]!;
    expect(issue).toMatchObject({ title: "Ferry: pos-purchases needs attention", state: "closed", labels: ["ferry"] });
    expect(issue.body).toContain("<!-- ferry:activation=pos-purchases -->");
    expect(issue.body).toContain("| `invalid_email` | 20 |");
    expect(issue.body).toContain("order_id=o-1");
    expect(issue.comments.map((c) => c.body.split(" on ")[0])).toEqual(["Still needs attention after the run", "✅ The run"]);
    // A later warning opens a new issue: the closed one is history.
    expect(await syncWarningIssue(octokit, { ...repo, report: report() })).toMatchObject({ action: "opened", number: 7 });
  });

  it("keeps activations apart", async () => {
    github = await startGitHubStandIn();
    const octokit = createOctokit({ token: "gh-test-token", baseUrl: github.url, throttle: false });
    await syncWarningIssue(octokit, { owner: "o", repo: "r", report: report() });
    expect(await syncWarningIssue(octokit, { owner: "o", repo: "r", report: report({ activation: "crm-leads" }) })).toMatchObject({
      action: "opened",
      number: 2,
    });
  });
});

describe("upsertPlanComment", () => {
  it("creates the plan comment once and then updates it", async () => {
    github = await startGitHubStandIn({ existing: [{ title: "PR", body: "", pull_request: {} }] });
    const octokit = createOctokit({ token: "gh-test-token", baseUrl: github.url, throttle: false });
    expect(await upsertPlanComment(octokit, { owner: "o", repo: "r", pr: 1, body: `${PLAN_MARKER}\nv1` })).toBe("created");
    expect(await upsertPlanComment(octokit, { owner: "o", repo: "r", pr: 1, body: `${PLAN_MARKER}\nv2` })).toBe("updated");
    expect(github.issues[0]!.comments).toEqual([{ id: 1000, body: `${PLAN_MARKER}\nv2` }]);
  });
});
