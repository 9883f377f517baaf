import { mkdir, readdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "../args.js";
import { CommandError, loadPlans } from "../context.js";
import { color, EXIT, UsageError, type Io } from "../io.js";
import { ACTION_REF, schemaUrl } from "../release.js";
import { afterDbtWorkflow, EXAMPLE_NAME, exampleActivation, planWorkflow, projectFile, syncWorkflow } from "../scaffold/templates.js";
import { DEFAULT_WORKFLOW, withSchedules } from "./workflow.js";

export const initHelp = `Usage: ferry init [options]

Sets up Ferry in this repository (empty or not): the project file, one commented example
activation, and the GitHub workflows that run them: a scheduled sync (one job per activation),
a plan comment on pull requests, and, when a dbt project is found, a run after your dbt job.
Files that exist are kept unless --force is given; it then says what to do next.

Options:
  --dir DIR            where the activations live (default: activations)
  --single-job         the sync workflow runs the activations in turn in one job instead of
                       one job each
  --action-ref REF     the action's \`uses:\` (default: ${ACTION_REF})
  --force              overwrite files that exist
  -h, --help           show this help

Examples:
  npx ferry init
  npx ferry init --dir ferry --single-job
`;

/** Where dbt_project.yml is: this directory or one below it (not dependencies). */
async function findDbtProject(cwd: string): Promise<string | undefined> {
  if (await stat(path.join(cwd, "dbt_project.yml")).catch(() => undefined)) return "";
  const entries = await readdir(cwd, { withFileTypes: true }).catch(() => []);
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isDirectory() || e.name.startsWith(".") || e.name === "node_modules") continue;
    if (await stat(path.join(cwd, e.name, "dbt_project.yml")).catch(() => undefined)) return e.name;
  }
  return undefined;
}

export async function init(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    dir: { type: "string" },
    "single-job": { type: "boolean" },
    "action-ref": { type: "string" },
    force: { type: "boolean" },
  });
  if (values.help) {
    io.stdout.write(initHelp);
    return EXIT.ok;
  }
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}" (run it in the repository's root)`);
  const dir = (values.dir ?? "activations").replace(/\/+$/, "");
  if (!dir || path.isAbsolute(dir) || dir.split(/[/\\]/).includes(".."))
    throw new UsageError("--dir takes a directory inside this repository, e.g. activations");
  const actionRef = values["action-ref"] ?? ACTION_REF;
  if (!/^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[\w./-]+$|^\.\//.test(actionRef))
    throw new UsageError("--action-ref takes owner/repo[/path]@ref, e.g. " + ACTION_REF);

  // The schema line is relative to each file: the published schemas of this release.
  const options = { dir, actionRef, schema: schemaUrl };
  const dbtDir = await findDbtProject(io.cwd);
  const files: [string, string][] = [
    [`${dir}/ferry.yml`, projectFile(options)],
    [`${dir}/${EXAMPLE_NAME}.yml`, exampleActivation(options)],
    [DEFAULT_WORKFLOW, syncWorkflow(options, values["single-job"] ? "single" : "matrix")],
    [".github/workflows/ferry-plan.yml", planWorkflow(options)],
    ...(dbtDir === undefined ? [] : [[".github/workflows/ferry-after-dbt.yml", afterDbtWorkflow(options, dbtDir)] as [string, string]]),
  ];

  const c = color(io);
  let unscheduled = false;
  const written: string[] = [];
  const kept: string[] = [];
  for (const [rel, content] of files) {
    const file = path.join(io.cwd, rel);
    const exists = await stat(file).catch(() => undefined);
    if (exists && !values.force) {
      kept.push(rel);
      continue;
    }
    await mkdir(path.dirname(file), { recursive: true });
    // The sync workflow's cron lines come from every activation there, the example's included.
    const text = rel === DEFAULT_WORKFLOW ? await scheduled(content, dir, io) : content;
    unscheduled ||= text === undefined;
    await writeFile(file, text ?? content);
    written.push(rel);
  }

  for (const rel of written) io.stdout.write(`${c.green("created")} ${rel}\n`);
  for (const rel of kept) io.stdout.write(`${c.yellow("kept")}    ${rel} (exists; --force overwrites it)\n`);
  if (dbtDir !== undefined)
    io.stdout.write(
      `${c.dim(`found dbt_project.yml${dbtDir ? ` in ${dbtDir}/` : ""}: activations can read dbt models (source.dbt_model)`)}\n`,
    );
  if (unscheduled)
    io.stdout.write(
      `${c.yellow("warning")} ${DEFAULT_WORKFLOW} has no cron lines yet: fix what \`ferry validate\` reports, then run \`ferry workflow sync\`\n`,
    );
  io.stdout.write(nextSteps(dir));
  return EXIT.ok;
}

/** The sync workflow with the activations' cron lines; undefined while some do not validate. */
async function scheduled(content: string, dir: string, io: Io): Promise<string | undefined> {
  const quiet: Io = { ...io, stdout: { write: () => true }, stderr: { write: () => true } };
  try {
    return withSchedules(content, await loadPlans([dir], quiet), DEFAULT_WORKFLOW);
  } catch (error) {
    if (error instanceof CommandError) return undefined; // `ferry validate` names the errors
    throw error;
  }
}

const nextSteps = (dir: string) => `
Next steps
  1. Edit ${dir}/${EXAMPLE_NAME}.yml: your query, primary key and columns, your advertiser and
     offline event set IDs. Check it with \`npx ferry validate\`, see what it would send with
     \`npx ferry plan\` (needs WAREHOUSE_URL in your environment).
  2. TikTok: in Ads Manager, your advertiser ID is in the account menu at the top right. In
     Events Manager (Assets > Events), create an offline event set (Offline > Manage > Create):
     its ID is on its card. In the event set's settings, generate the access token, and turn on
     auto-tracking so every campaign of the advertiser is measured with these events.
  3. GitHub: Settings > Secrets and variables > Actions, add
       WAREHOUSE_URL          e.g. postgres://ferry_reader@warehouse.example.com:5432/analytics
       TIKTOK_ACCESS_TOKEN    the token from step 2
  4. Commit and push. Pull requests touching ${dir}/ get a plan comment; the sync runs on the
     activations' schedules, or now from the Actions tab (Ferry sync > Run workflow), with
     dry-run to try it first. Changed a schedule? \`npx ferry workflow sync\`.
`;
