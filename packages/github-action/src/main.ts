import { readFileSync } from "node:fs";
import * as core from "@actions/core";
import { compile, diffPlans, runPlans, type RunReport, type SyncPlan } from "@ferry/engine";
import { createOctokit, renderJobSummary, renderPlanComment, syncWarningIssue, upsertPlanComment } from "@ferry/github";
import { loadActivations, scheduleToCron, type ConfigIssue, type LoadResult } from "@ferry/schema";
import { basePlans } from "./base.js";

type Env = Readonly<Record<string, string | undefined>>;
interface EventPayload {
  schedule?: string;
  inputs?: Record<string, string>;
  pull_request?: { number: number; base: { sha: string } };
  workflow_run?: { conclusion?: string | null; name?: string };
}

function readEvent(env: Env): EventPayload {
  const file = env["GITHUB_EVENT_PATH"];
  if (!file) return {};
  try {
    return JSON.parse(readFileSync(file, "utf8")) as EventPayload;
  } catch {
    return {};
  }
}

function annotate(issues: readonly ConfigIssue[]) {
  for (const issue of issues) {
    const message = `${issue.path ? `${issue.path}: ` : ""}${issue.message}${issue.hint ? ` (${issue.hint})` : ""}`;
    const where = {
      file: issue.file,
      ...(issue.line ? { startLine: issue.line, startColumn: issue.column } : {}),
      title: `ferry: ${issue.code}`,
    };
    if (issue.severity === "error") core.error(message, where);
    else core.warning(message, where);
  }
}

/** Never let a secret that the activations name reach the log, even inside a driver message. */
function maskSecrets(loaded: LoadResult, env: Env) {
  for (const { activation, project } of loaded.activations) {
    const names = [
      activation.destination.access_token_env,
      project.project.warehouses[activation.source.warehouse]?.url_env ?? "FERRY_WAREHOUSE_URL",
    ];
    for (const name of names) {
      const value = env[name];
      if (!value) continue;
      core.setSecret(value);
      try {
        const password = new URL(value).password;
        if (password) core.setSecret(decodeURIComponent(password));
      } catch {
        // not a URL
      }
    }
  }
}

function select(plans: SyncPlan[], eventName: string | undefined, event: EventPayload, only: string): SyncPlan[] {
  const names = only
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length) {
    const unknown = names.filter((n) => !plans.some((p) => p.activation === n));
    if (unknown.length) throw new Error(`no activation named ${unknown.join(", ")}`);
    return plans.filter((p) => names.includes(p.activation));
  }
  if (eventName === "schedule" && event.schedule) {
    const fired = scheduleToCron(event.schedule);
    return plans.filter((p) => p.schedule.cron === fired);
  }
  // After a dbt job (workflow_run): the activations on dbt models, which that job just rebuilt.
  if (eventName === "workflow_run") {
    if (event.workflow_run?.conclusion && event.workflow_run.conclusion !== "success") return [];
    return plans.filter((p) => p.source.kind === "dbt_model");
  }
  return plans;
}

async function runMode(plans: SyncPlan[], env: Env, event: EventPayload) {
  const eventName = env["GITHUB_EVENT_NAME"];
  const selected = select(plans, eventName, event, core.getInput("activations") || event.inputs?.["activations"] || "");
  if (selected.length === 0) {
    core.notice(
      eventName === "workflow_run"
        ? `Nothing to run after "${event.workflow_run?.name ?? "the workflow"}" (${event.workflow_run?.conclusion ?? "no conclusion"}): Ferry runs the activations on dbt models after a successful run.`
        : `No activation is scheduled at "${event.schedule ?? ""}": nothing to run. (\`ferry workflow check\` compares schedules with this workflow.)`,
    );
    await core.summary.addRaw(renderJobSummary([])).write();
    return;
  }
  const dryRun = (core.getInput("dry-run") || "false").toLowerCase() === "true";
  const reports = await runPlans(selected, {
    env,
    dryRun,
    onEvent: (e) => {
      if (e.type === "start") core.info(`${e.activation}: ${e.dryRun ? "dry run" : "run"} ${e.runId} started`);
      if (e.type === "finish") {
        const k = e.report.counts;
        core.info(
          `${e.report.activation}: ${e.report.status}, ${k.sent} sent, ${k.rejected} rejected of ${k.read} new rows in ${e.report.durationMs} ms`,
        );
      }
    },
  });
  const issues: Record<string, { url: string; number: number; action: string }> = {};
  const token = core.getInput("github-token");
  const [owner, repo] = (env["GITHUB_REPOSITORY"] ?? "").split("/");
  if (token && owner && repo && !dryRun) {
    const octokit = createOctokit({ token, baseUrl: env["GITHUB_API_URL"], log: (m) => core.warning(m) });
    const runUrl = env["GITHUB_RUN_ID"]
      ? `${env["GITHUB_SERVER_URL"] ?? "https://github.com"}/${owner}/${repo}/actions/runs/${env["GITHUB_RUN_ID"]}`
      : undefined;
    for (const report of reports) {
      const plan = selected.find((p) => p.activation === report.activation)!;
      if (!plan.warnings.enabled) continue;
      try {
        const result = await syncWarningIssue(octokit, {
          owner,
          repo,
          report,
          labels: plan.warnings.labels,
          context: { file: plan.file, ...(runUrl ? { runUrl } : {}) },
        });
        if (result.number && result.url) issues[report.activation] = { number: result.number, url: result.url, action: result.action };
      } catch (error) {
        // A GitHub outage must not fail a sync that succeeded: say so and go on.
        core.warning(`could not update the warning issue of ${report.activation}: ${(error as Error).message}`);
      }
    }
  }
  for (const report of reports)
    for (const w of report.warnings)
      core.warning(`${report.activation}: ${w.message} ${w.fix}`, {
        title: `ferry: ${w.code}`,
        file: selected.find((p) => p.activation === report.activation)?.file,
      });
  await core.summary.addRaw(renderJobSummary(reports, issues)).write();
  outputs(reports);
  const failed = reports.filter((r) => r.status !== "success");
  if (failed.length)
    core.setFailed(
      `${failed.length} activation run${failed.length === 1 ? "" : "s"} failed: ${failed.map((r) => `${r.activation} (${r.error?.message ?? r.status})`).join("; ")}`,
    );
}

function outputs(reports: RunReport[]) {
  const sum = (f: (r: RunReport) => number) => String(reports.reduce((n, r) => n + f(r), 0));
  core.setOutput("activations", reports.map((r) => r.activation).join(","));
  core.setOutput(
    "sent",
    sum((r) => r.counts.sent),
  );
  core.setOutput(
    "rejected",
    sum((r) => r.counts.rejected),
  );
  core.setOutput(
    "failed",
    sum((r) => (r.status === "success" ? 0 : 1)),
  );
  core.setOutput(
    "warnings",
    sum((r) => r.warnings.length),
  );
  core.setOutput("reports", JSON.stringify(reports));
}

const dbtRelations = (loaded: LoadResult) => new Map(loaded.activations.flatMap((a) => (a.dbt ? [[a.dbt.model, a.dbt] as const] : [])));

async function planMode(plans: SyncPlan[], loaded: LoadResult, env: Env, event: EventPayload, dir: string, cwd: string) {
  const errors = loaded.issues.filter((i) => i.severity === "error");
  const base = event.pull_request ? await basePlans(event.pull_request.base.sha, dir, cwd, env, dbtRelations(loaded)) : [];
  const body = renderPlanComment(diffPlans(base, plans), errors);
  await core.summary.addRaw(body).write();
  const token = core.getInput("github-token");
  const [owner, repo] = (env["GITHUB_REPOSITORY"] ?? "").split("/");
  if (event.pull_request && token && owner && repo) {
    const octokit = createOctokit({ token, baseUrl: env["GITHUB_API_URL"], log: (m) => core.warning(m) });
    await upsertPlanComment(octokit, { owner, repo, pr: event.pull_request.number, body });
  }
}

/** The action: reads its inputs and the GitHub context from the environment, as runners provide them. */
export async function run(env: Env = process.env): Promise<void> {
  try {
    const command = core.getInput("command") || "run";
    if (!["validate", "plan", "run"].includes(command)) throw new Error(`input "command" is validate, plan or run`);
    const dir = core.getInput("path") || "activations";
    const cwd = env["GITHUB_WORKSPACE"] || process.cwd();
    const event = readEvent(env);
    const loaded = await loadActivations([dir], { cwd, env });
    annotate(loaded.issues);
    maskSecrets(loaded, env);
    const errors = loaded.issues.filter((i) => i.severity === "error");
    const plans = errors.length ? [] : loaded.activations.map((a) => compile(a, env));
    if (command === "plan") await planMode(plans, loaded, env, event, dir, cwd);
    if (errors.length) {
      core.setFailed(`${errors.length} configuration error${errors.length === 1 ? "" : "s"} in ${dir}: nothing was run`);
      return;
    }
    if (command === "validate") {
      core.info(`${plans.length} activation${plans.length === 1 ? "" : "s"} valid: ${plans.map((p) => p.activation).join(", ")}`);
      return;
    }
    if (command === "run") await runMode(plans, env, event);
  } catch (error) {
    // The typescript-action template's silent green: every failure must fail the step.
    core.setFailed(error instanceof Error ? error.message : String(error));
  }
}
