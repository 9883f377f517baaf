export { createOctokit, type GitHub } from "./octokit.js";
export { ledgerRuns, renderIssueBody, renderJobSummary, renderPlanComment, type LedgerRun, type RunContext } from "./render.js";
export { syncWarningIssue, upsertPlanComment, type IssueAction, type Repo } from "./sync.js";
