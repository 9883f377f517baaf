import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { compile, type SyncPlan } from "@ferry/engine";
import { DEFAULT_PROJECT, parseActivation, parseProject, type LoadedActivation, type LoadedProject } from "@ferry/schema";

const git = promisify(execFile);

/**
 * The plans of the activations as they are at `sha` (a pull request's base), read with git so
 * the working tree stays the head. Files that did not parse there are left out of the diff.
 * dbt models resolve through the head's manifest (a build artifact, not in git): `dbt` maps a
 * model name to its relation, as the head's loader found it.
 */
export async function basePlans(
  sha: string,
  dir: string,
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
  dbt: ReadonlyMap<string, NonNullable<LoadedActivation["dbt"]>> = new Map(),
): Promise<SyncPlan[]> {
  if (!/^[0-9a-f]{7,40}$/i.test(sha)) throw new Error("the pull request's base is not a commit sha");
  const { stdout } = await git("git", ["ls-tree", "-r", "--name-only", sha, "--", dir], { cwd, maxBuffer: 16 << 20 });
  const files = stdout.split("\n").filter((f) => /\.(ya?ml|json)$/.test(f));
  const show = async (file: string) => (await git("git", ["show", `${sha}:${file}`], { cwd, maxBuffer: 16 << 20 })).stdout;
  const projects = new Map<string, LoadedProject>();
  for (const file of files.filter((f) => /(^|\/)ferry\.ya?ml$/.test(f))) {
    const parsed = parseProject(await show(file), file);
    projects.set(path.posix.dirname(file), { file, project: parsed.ok ? parsed.value : DEFAULT_PROJECT });
  }
  const projectFor = (file: string): LoadedProject => {
    for (let d = path.posix.dirname(file); ; d = path.posix.dirname(d)) {
      const found = projects.get(d);
      if (found) return found;
      if (d === "." || d === "/" || d === "") return { file: undefined, project: DEFAULT_PROJECT };
    }
  };
  const plans: SyncPlan[] = [];
  for (const file of files.filter((f) => !/(^|\/)ferry\.ya?ml$/.test(f))) {
    const parsed = parseActivation(await show(file), file);
    if (!parsed.ok) continue;
    try {
      const model = parsed.value.source.dbt_model;
      const relation = model === undefined ? undefined : dbt.get(model);
      plans.push(compile({ file, activation: parsed.value, project: projectFor(file), ...(relation ? { dbt: relation } : {}) }, env));
    } catch {
      // A base that did not compile has no plan to compare with.
    }
  }
  return plans;
}
