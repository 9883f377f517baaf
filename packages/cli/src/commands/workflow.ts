import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { SyncPlan } from "@ferry/engine";
import { isMap, isSeq, parseDocument, Scalar, YAMLMap, YAMLSeq } from "yaml";
import { parse } from "../args.js";
import { CommandError, loadPlans } from "../context.js";
import { color, EXIT, UsageError, type Io } from "../io.js";
import { ACTION_REF, schemaUrl } from "../release.js";
import { syncWorkflow } from "../scaffold/templates.js";

export const workflowHelp = `Usage: ferry workflow <check|sync> [paths…] [options]

GitHub Actions starts a scheduled run only at the cron lines of the workflow file, and the
Ferry action then runs the activations whose schedule matches the cron that fired. These
commands keep the two in step.

  check   fail when an activation's schedule has no cron line in the workflow
          (and warn about cron lines no activation uses)
  sync    rewrite the workflow's \`on.schedule\` to exactly the activations' schedules,
          keeping the rest of the file (comments included); when the workflow does not
          exist yet, create it (one job per activation, or --single-job)

Arguments:
  paths…                 activation files or directories (default: activations)

Options:
  --workflow FILE        the workflow (default .github/workflows/ferry-sync.yml)
  --single-job           when creating it: run the activations in turn in one job
  -h, --help             show this help

Examples:
  ferry workflow check
  ferry workflow sync && git diff .github/workflows/ferry-sync.yml
`;

export const DEFAULT_WORKFLOW = ".github/workflows/ferry-sync.yml";

/** Each schedule (as a cron line) and the activations on it. */
const schedules = (plans: readonly SyncPlan[]) => {
  const wanted = new Map<string, string[]>();
  for (const p of plans) wanted.set(p.schedule.cron, [...(wanted.get(p.schedule.cron) ?? []), p.activation]);
  return wanted;
};

/** The workflow's text with `on.schedule` set to exactly the plans' schedules, comments kept. */
export function withSchedules(source: string, plans: readonly SyncPlan[], rel: string): string {
  const doc = parseDocument(source);
  if (doc.errors.length) throw new CommandError(`${rel} is not valid YAML: ${doc.errors[0]!.message.split("\n")[0]}`);
  const on = doc.get("on", true);
  if (!isMap(on)) throw new CommandError(`${rel} has no \`on:\` map to hold a schedule`);
  const wanted = schedules(plans);
  const seq = new YAMLSeq();
  for (const cron of [...wanted.keys()].sort()) {
    const value = new Scalar(cron);
    value.type = Scalar.QUOTE_DOUBLE; // as GitHub's docs write them
    const item = new YAMLMap();
    item.set("cron", value);
    item.commentBefore = ` ${wanted.get(cron)!.join(", ")}`;
    seq.items.push(item);
  }
  on.set("schedule", seq);
  return doc.toString();
}

export async function workflow(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { workflow: { type: "string" }, "single-job": { type: "boolean" } });
  if (values.help) {
    io.stdout.write(workflowHelp);
    return EXIT.ok;
  }
  const [action, ...paths] = positionals;
  if (action !== "check" && action !== "sync") throw new UsageError('the first argument is "check" or "sync"');
  const file = path.resolve(io.cwd, values.workflow ?? DEFAULT_WORKFLOW);
  const rel = path.relative(io.cwd, file);
  const c = color(io);
  const existing = await readFile(file, "utf8").catch(() => undefined);
  const plans = await loadPlans(paths, io);

  if (action === "sync") {
    const dir = path.relative(io.cwd, path.resolve(io.cwd, paths[0] ?? "activations")) || ".";
    const source = existing ?? syncWorkflow({ dir, actionRef: ACTION_REF, schema: schemaUrl }, values["single-job"] ? "single" : "matrix");
    const next = withSchedules(source, plans, rel);
    if (next === existing) {
      io.stdout.write(`${c.green("✔")} ${rel} already schedules every activation\n`);
      return EXIT.ok;
    }
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, next);
    const n = schedules(plans).size;
    io.stdout.write(
      existing === undefined
        ? `${c.green("✔")} created ${rel} with ${n} cron line${n === 1 ? "" : "s"}; it needs the secrets WAREHOUSE_URL and TIKTOK_ACCESS_TOKEN (or the names your files give)\n`
        : `${c.green("✔")} wrote ${n} cron line${n === 1 ? "" : "s"} to ${rel}\n`,
    );
    return EXIT.ok;
  }

  if (existing === undefined) {
    io.stdout.write(
      `${c.red("error")} there is no ${rel}, so no activation runs on a schedule\n\nRun \`ferry workflow sync\` to create it.\n`,
    );
    return EXIT.failed;
  }
  const doc = parseDocument(existing);
  if (doc.errors.length) throw new CommandError(`${rel} is not valid YAML: ${doc.errors[0]!.message.split("\n")[0]}`);
  const on = doc.get("on", true);
  if (!isMap(on)) throw new CommandError(`${rel} has no \`on:\` map to hold a schedule`);
  const current = on.get("schedule", true);
  const crons = isSeq(current)
    ? current.items.map((item) =>
        isMap(item)
          ? String(item.get("cron") ?? "")
              .trim()
              .split(/\s+/)
              .join(" ")
          : "",
      )
    : [];
  const wanted = schedules(plans);
  const missing = [...wanted].filter(([cron]) => !crons.includes(cron));
  const unused = crons.filter((cron) => cron && !wanted.has(cron));
  for (const [cron, names] of missing)
    io.stdout.write(`${c.red("error")} ${names.join(", ")}: schedule "${cron}" has no cron line in ${rel}, so it never runs\n`);
  for (const cron of unused) io.stdout.write(`${c.yellow("warning")} cron "${cron}" in ${rel} matches no activation\n`);
  if (missing.length) {
    io.stdout.write(`\nRun \`ferry workflow sync\` to rewrite the schedule of ${rel}.\n`);
    return EXIT.failed;
  }
  io.stdout.write(`${c.green("✔")} every activation's schedule has a cron line in ${rel}\n`);
  return EXIT.ok;
}
