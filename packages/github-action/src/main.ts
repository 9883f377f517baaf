import { readFileSync } from "node:fs";
import * as core from "@actions/core";
import { compile, CompileError, Connections, diffPlans, runFailed, runPlans, type RunReport, type SyncPlan } from "@ferry/engine";
import {
  createOctokit,
  ledgerRuns,
  renderJobSummary,
  renderPlanComment,
  syncWarningIssue,
  upsertPlanComment,
  type LedgerRun,
} from "@ferry/github";
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
        const url = new URL(value);
        if (url.password) core.setSecret(decodeURIComponent(url.password));
        // A Snowflake URL names the variables holding its key or password: mask their values too.
        for (const param of ["private_key_env", "password_env"]) {
          const secret = env[url.searchParams.get(param) ?? ""];
          if (secret) core.setSecret(secret);
        }
      } catch {
        // not a URL
      }
    }
  }
}

/**
 * What the action may run: each valid activation's plan, or, for an activation on a dbt model
 * that no manifest resolved in this job, why it cannot run (it fails only if it is selected).
 */
type Candidate = { activation: string; cron: string; dbt: boolean } & ({ plan: SyncPlan } | { unresolved: string });

function compileAll(loaded: LoadResult, env: Env): { candidates: Candidate[]; errors: ConfigIssue[] } {
  const candidates: Candidate[] = [];
  const errors: ConfigIssue[] = [];
  for (const a of loaded.activations) {
    const base = {
      activation: a.activation.name,
      cron: scheduleToCron(a.activation.schedule),
      dbt: a.activation.source.dbt_model !== undefined,
    };
    try {
      candidates.push({ ...base, plan: compile(a, env) });
    } catch (error) {
      if (!(error instanceof CompileError)) throw error;
      if (error.code === "unresolved_dbt_model") candidates.push({ ...base, unresolved: error.message });
      else errors.push({ file: error.file, line: 0, column: 0, path: "", code: error.code, message: error.message, severity: "error" });
    }
  }
  return { candidates, errors };
}

function select(candidates: Candidate[], eventName: string | undefined, event: EventPayload, only: string): Candidate[] {
  const names = only
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length) {
    const unknown = names.filter((n) => !candidates.some((c) => c.activation === n));
    if (unknown.length) throw new Error(`no activation named ${unknown.join(", ")}`);
    return candidates.filter((c) => names.includes(c.activation));
  }
  if (eventName === "schedule" && event.schedule) {
    const fired = scheduleToCron(event.schedule);
    return candidates.filter((c) => c.cron === fired);
  }
  // After a dbt job (workflow_run): the activations on dbt models, which that job just rebuilt.
  if (eventName === "workflow_run") {
    if (event.workflow_run?.conclusion && event.workflow_run.conclusion !== "success") return [];
    return candidates.filter((c) => c.dbt);
  }
  return candidates;
}

const chosen = (candidates: Candidate[], env: Env, event: EventPayload) =>
  select(candidates, env["GITHUB_EVENT_NAME"], event, core.getInput("activations") || event.inputs?.["activations"] || "");

/** What this event selects, as a JSON list for a matrix of one job per activation. */
async function listMode(candidates: Candidate[], env: Env, event: EventPayload) {
  const names = chosen(candidates, env, event).map((c) => c.activation);
  core.setOutput("selected", JSON.stringify(names));
  core.info(names.length ? `selected: ${names.join(", ")}` : "no activation is selected by this event: nothing to run");
  await core.summary
    .addRaw(
      names.length ? `Ferry selected ${names.map((n) => `\`${n}\``).join(", ")}.\n` : "Ferry: no activation is selected by this event.\n",
    )
    .write();
}

/** Requests in flight per activation, from the `concurrency` input (1 to 32); unset: the activations' own. */
function concurrencyInput(): number | undefined {
  const raw = core.getInput("concurrency");
  if (raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 32) throw new Error(`input "concurrency" takes a whole number from 1 to 32, not "${raw}"`);
  return n;
}

type Histories = Awaited<ReturnType<typeof historiesOf>>;

/**
 * One warning issue per activation whose warnings are enabled: opened, commented on or closed.
 * A GitHub outage must not fail a sync that succeeded: it is a warning on the step.
 */
async function syncIssues(
  selected: readonly SyncPlan[],
  reports: readonly RunReport[],
  histories: Histories,
  env: Env,
): Promise<Record<string, { url: string; number: number; action: string }>> {
  const issues: Record<string, { url: string; number: number; action: string }> = {};
  const token = core.getInput("github-token");
  const [owner, repo] = (env["GITHUB_REPOSITORY"] ?? "").split("/");
  if (!token || !owner || !repo) return issues;
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
        context: {
          file: plan.file,
          ...(runUrl ? { runUrl } : {}),
          ...(histories[report.activation] ? { history: histories[report.activation] } : {}),
        },
      });
      if (result.number && result.url) issues[report.activation] = { number: result.number, url: result.url, action: result.action };
    } catch (error) {
      core.warning(`could not update the warning issue of ${report.activation}: ${(error as Error).message}`);
    }
  }
  return issues;
}

async function runMode(candidates: Candidate[], env: Env, event: EventPayload) {
  const eventName = env["GITHUB_EVENT_NAME"];
  const picked = chosen(candidates, env, event);
  const selected = picked.flatMap((c) => ("plan" in c ? [c.plan] : []));
  // Selected but not runnable here: said on the step, which fails once the others have run.
  const unresolved = picked.flatMap((c) => ("unresolved" in c ? [c] : []));
  for (const c of unresolved) core.error(`${c.activation}: ${c.unresolved}`, { title: "ferry: unresolved_dbt_model" });
  if (selected.length === 0 && unresolved.length) {
    core.setFailed(unresolvedMessage(unresolved));
    return;
  }
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
  const concurrency = concurrencyInput();
  const reports = await runPlans(selected, {
    env,
    dryRun,
    ...(concurrency !== undefined ? { concurrency } : {}),
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
  const histories = dryRun ? {} : await historiesOf(selected, reports, env);
  const issues = dryRun ? {} : await syncIssues(selected, reports, histories, env);
  for (const report of reports)
    for (const w of report.warnings)
      core.warning(`${report.activation}: ${w.message} ${w.fix}`, {
        title: `ferry: ${w.code}`,
        file: selected.find((p) => p.activation === report.activation)?.file,
      });
  await core.summary.addRaw(renderJobSummary(reports, issues, histories)).write();
  outputs(reports);
  // A run TikTok's limits stopped is not failed: its warning says so and the next run sends the rest.
  const failed = reports.filter(runFailed);
  const problems = [
    ...(failed.length
      ? [
          `${failed.length} activation run${failed.length === 1 ? "" : "s"} failed: ${failed.map((r) => `${r.activation} (${r.error?.message ?? r.status})`).join("; ")}`,
        ]
      : []),
    ...(unresolved.length ? [unresolvedMessage(unresolved)] : []),
  ];
  if (problems.length) core.setFailed(problems.join("; "));
}

/**
 * Each activation's last runs from its run ledger, for the chart of the job summary and the
 * warning issue; a ledger that cannot be read leaves the chart out, and the step goes on.
 */
async function historiesOf(plans: readonly SyncPlan[], reports: readonly RunReport[], env: Record<string, string | undefined>) {
  const histories: Record<string, LedgerRun[]> = {};
  const connections = new Connections(env);
  try {
    for (const report of reports) {
      const plan = plans.find((p) => p.activation === report.activation);
      if (!plan) continue;
      try {
        const state = await connections.warehouse(plan).state.show(plan.warehouse.stateSchema, plan.activation, { runs: 10 });
        histories[plan.activation] = ledgerRuns(state.runs);
      } catch (error) {
        core.info(`the run history of ${plan.activation} could not be read: ${(error as Error).message}`);
      }
    }
  } finally {
    await connections.close();
  }
  return histories;
}

const unresolvedMessage = (unresolved: { activation: string }[]) =>
  `${unresolved.map((c) => c.activation).join(", ")} did not run: ${unresolved.length === 1 ? "its dbt model needs" : "their dbt models need"} dbt's manifest in this job (run \`dbt parse\` before the Ferry step, or download the manifest and set DBT_MANIFEST_PATH)`;

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
    sum((r) => (runFailed(r) ? 1 : 0)),
  );
  core.setOutput(
    "warnings",
    sum((r) => r.warnings.length),
  );
  core.setOutput("reports", JSON.stringify(reports));
}

const dbtRelations = (loaded: LoadResult) => new Map(loaded.activations.flatMap((a) => (a.dbt ? [[a.dbt.model, a.dbt] as const] : [])));

async function planMode(
  candidates: Candidate[],
  errors: ConfigIssue[],
  env: Env,
  event: EventPayload,
  dir: string,
  cwd: string,
  loaded: LoadResult,
) {
  const plans = candidates.flatMap((c) => ("plan" in c ? [c.plan] : []));
  // A file that is broken now, or a dbt model this job cannot resolve, is not "removed".
  const broken = new Set(errors.map((e) => e.file));
  const unplanned = new Set(candidates.flatMap((c) => ("unresolved" in c ? [c.activation] : [])));
  const base = (event.pull_request ? await basePlans(event.pull_request.base.sha, dir, cwd, env, dbtRelations(loaded)) : []).filter(
    (p) => !broken.has(p.file) && !unplanned.has(p.activation),
  );
  const notes = [...unplanned].map(
    (name) => `${name} is not planned: its dbt model needs dbt's manifest in this job (run \`dbt parse\` before the Ferry step).`,
  );
  const body = renderPlanComment(diffPlans(base, plans), errors, notes);
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
    if (!["validate", "plan", "run", "list"].includes(command)) throw new Error(`input "command" is validate, plan, run or list`);
    const dir = core.getInput("path") || "activations";
    const cwd = env["GITHUB_WORKSPACE"] || process.cwd();
    const event = readEvent(env);
    const loaded = await loadActivations([dir], { cwd, env });
    annotate(loaded.issues);
    maskSecrets(loaded, env);
    const compiled = compileAll(loaded, env);
    annotate(compiled.errors);
    const errors = [...loaded.issues.filter((i) => i.severity === "error"), ...compiled.errors];
    if (command === "plan") await planMode(compiled.candidates, errors, env, event, dir, cwd, loaded);
    if (errors.length) {
      core.setFailed(`${errors.length} configuration error${errors.length === 1 ? "" : "s"} in ${dir}: nothing was run`);
      return;
    }
    if (command === "validate") {
      const names = compiled.candidates.map((c) => c.activation);
      core.info(`${names.length} activation${names.length === 1 ? "" : "s"} valid: ${names.join(", ")}`);
      return;
    }
    if (command === "list") await listMode(compiled.candidates, env, event);
    if (command === "run") await runMode(compiled.candidates, env, event);
  } catch (error) {
    // The typescript-action template's silent green: every failure must fail the step.
    core.setFailed(error instanceof Error ? error.message : String(error));
  }
}
