import type { RunReport } from "@ferry/engine";
import type { GitHub } from "./octokit.js";
import {
  activationMarker,
  PLAN_MARKER,
  renderHealthyComment,
  renderIssueBody,
  renderIssueComment,
  renderIssueTitle,
  type RunContext,
} from "./render.js";

export interface Repo {
  owner: string;
  repo: string;
}

export type IssueAction = "opened" | "commented" | "closed" | "none";

/**
 * Keeps one issue per activation in step with its runs: a run with warnings opens it (or comments
 * on the open one), and the first healthy run closes it. Found again by a hidden marker.
 */
export async function syncWarningIssue(
  octokit: GitHub,
  options: Repo & { report: RunReport; labels?: readonly string[]; context?: RunContext },
): Promise<{ action: IssueAction; number?: number; url?: string }> {
  const { owner, repo, report } = options;
  const marker = activationMarker(report.activation);
  const open = await octokit.paginate(octokit.rest.issues.listForRepo, { owner, repo, state: "open", per_page: 100 });
  const existing = open.find((i) => !i.pull_request && i.body?.includes(marker));
  const ctx = options.context ?? {};
  if (report.warnings.length > 0) {
    if (existing) {
      await octokit.rest.issues.createComment({ owner, repo, issue_number: existing.number, body: renderIssueComment(report, ctx) });
      return { action: "commented", number: existing.number, url: existing.html_url };
    }
    const created = await octokit.rest.issues.create({
      owner,
      repo,
      title: renderIssueTitle(report.activation),
      body: renderIssueBody(report, ctx),
      ...(options.labels?.length ? { labels: [...options.labels] } : {}),
    });
    return { action: "opened", number: created.data.number, url: created.data.html_url };
  }
  if (existing && report.status === "success" && !report.dryRun) {
    await octokit.rest.issues.createComment({ owner, repo, issue_number: existing.number, body: renderHealthyComment(report, ctx) });
    await octokit.rest.issues.update({ owner, repo, issue_number: existing.number, state: "closed", state_reason: "completed" });
    return { action: "closed", number: existing.number, url: existing.html_url };
  }
  return { action: "none" };
}

/** One plan comment per pull request, updated in place (changesets' update-id idea). */
export async function upsertPlanComment(octokit: GitHub, options: Repo & { pr: number; body: string }): Promise<"created" | "updated"> {
  const { owner, repo, pr, body } = options;
  const comments = await octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: pr, per_page: 100 });
  const mine = comments.find((c) => c.body?.includes(PLAN_MARKER));
  if (mine) {
    await octokit.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
    return "updated";
  }
  await octokit.rest.issues.createComment({ owner, repo, issue_number: pr, body });
  return "created";
}
