import { compile, CompileError, type SyncPlan } from "@ferry/engine";
import { loadActivations, nearest, type LoadedActivation } from "@ferry/schema";
import { describeIssue } from "./commands/validate.js";
import { color, UsageError, type Io } from "./io.js";

/** A problem that stops a command, already phrased for the user. */
export class CommandError extends Error {}

/** Loads and validates; prints config errors (all of them) and throws when any. */
export async function loadValid(paths: string[], io: Io): Promise<LoadedActivation[]> {
  const result = await loadActivations(paths.length ? paths : ["activations"], { cwd: io.cwd, env: io.env });
  const errors = result.issues.filter((i) => i.severity === "error");
  if (errors.length > 0) {
    const c = color(io);
    for (const issue of errors)
      io.stderr.write(
        `${c.bold(`${issue.file}${issue.line ? `:${issue.line}:${issue.column}` : ""}`)} ${c.red("error")} ${describeIssue(issue)}\n`,
      );
    throw new CommandError(
      `${errors.length} configuration error${errors.length === 1 ? "" : "s"}: nothing was run (see \`ferry validate\`)`,
    );
  }
  return result.activations;
}

/** " (did you mean "a" or "b"?)" for a mistyped name among these, or "". */
export function didYouMean(input: string, candidates: readonly string[]): string {
  const near = nearest(input, candidates);
  return near.length ? ` (did you mean ${near.map((n) => `"${n}"`).join(" or ")}?)` : "";
}

/** Loads, validates and compiles; prints config errors (all of them) and throws when any. */
export async function loadPlans(paths: string[], io: Io, only?: string[]): Promise<SyncPlan[]> {
  const activations = await loadValid(paths, io);
  if (only) {
    // A mistyped name on the command line is a usage error, with the names it may have meant.
    const names = activations.map((a) => a.activation.name);
    const unknown = only.filter((name) => !names.includes(name));
    if (unknown.length) {
      const hints = unknown.map((name) => `"${name}"${didYouMean(name, names)}`);
      const all = names.length <= 12 ? `; the activations are ${names.join(", ")}` : "";
      throw new UsageError(`--only: no activation named ${hints.join(", ")} in ${paths.join(" ") || "activations"}${all}`);
    }
  }
  const plans: SyncPlan[] = [];
  for (const loaded of activations) {
    if (only && !only.includes(loaded.activation.name)) continue;
    try {
      plans.push(compile(loaded, io.env));
    } catch (error) {
      if (error instanceof CompileError) throw new CommandError(`${error.file}: ${error.message}`);
      throw error;
    }
  }
  return plans;
}

export const number = (n: number) => n.toLocaleString("en-US");
export const duration = (ms: number) =>
  ms < 1000
    ? `${ms} ms`
    : ms < 120_000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
