export { createOctokit, type GitHub } from "./octokit.js";
export { renderIssueBody, renderJobSummary, renderPlanComment, type RunContext } from "./render.js";
export { syncWarningIssue, upsertPlanComment, type IssueAction, type Repo } from "./sync.js";
