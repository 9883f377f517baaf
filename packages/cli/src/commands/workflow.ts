import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { isMap, isSeq, parseDocument, Scalar, YAMLMap, YAMLSeq } from "yaml";
import { parse } from "../args.js";
import { CommandError, loadPlans } from "../context.js";
import { color, EXIT, UsageError, type Io } from "../io.js";

export const workflowHelp = `Usage: ferry workflow <check|sync> [paths…] [options]

GitHub Actions starts a scheduled run only at the cron lines of the workflow file, and the
Ferry action then runs the activations whose schedule matches the cron that fired. These
commands keep the two in step.

  check   fail when an activation's schedule has no cron line in the workflow
          (and warn about cron lines no activation uses)
  sync    rewrite the workflow's \`on.schedule\` to exactly the activations' schedules,
          keeping the rest of the file (comments included)

Arguments:
  paths…                 activation files or directories (default: activations)

Options:
  --workflow FILE        the workflow (default .github/workflows/ferry-sync.yml)
  -h, --help             show this help

Examples:
  ferry workflow check
  ferry workflow sync && git diff .github/workflows/ferry-sync.yml
`;

export async function workflow(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { workflow: { type: "string" } });
  if (values.help) {
    io.stdout.write(workflowHelp);
    return EXIT.ok;
  }
  const [action, ...paths] = positionals;
  if (action !== "check" && action !== "sync") throw new UsageError('the first argument is "check" or "sync"');
  const file = path.resolve(io.cwd, values.workflow ?? ".github/workflows/ferry-sync.yml");
  const source = await readFile(file, "utf8").catch(() => {
    throw new CommandError(`cannot read the workflow ${path.relative(io.cwd, file)} (give another with --workflow)`);
  });
  const doc = parseDocument(source);
  if (doc.errors.length)
    throw new CommandError(`${path.relative(io.cwd, file)} is not valid YAML: ${doc.errors[0]!.message.split("\n")[0]}`);
  const on = doc.get("on", true);
  if (!isMap(on)) throw new CommandError(`${path.relative(io.cwd, file)} has no \`on:\` map to hold a schedule`);
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

  const plans = await loadPlans(paths, io);
  const wanted = new Map<string, string[]>();
  for (const p of plans) wanted.set(p.schedule.cron, [...(wanted.get(p.schedule.cron) ?? []), p.activation]);
  const c = color(io);
  const rel = path.relative(io.cwd, file);

  if (action === "sync") {
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
    const next = doc.toString();
    if (next === source) {
      io.stdout.write(`${c.green("✔")} ${rel} already schedules every activation\n`);
    } else {
      await writeFile(file, next);
      io.stdout.write(`${c.green("✔")} wrote ${wanted.size} cron line${wanted.size === 1 ? "" : "s"} to ${rel}\n`);
    }
    return EXIT.ok;
  }

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
