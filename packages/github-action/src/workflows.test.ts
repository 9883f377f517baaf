// The repository's workflows are examples users copy: each use of the action must pass only
// inputs action.yml declares, with a command the action knows.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const action = parse(await readFile(path.join(root, "packages/github-action/action.yml"), "utf8")) as { inputs: Record<string, unknown> };
const dir = path.join(root, ".github/workflows");
const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();

type Step = { uses?: string; if?: string; run?: string; with?: Record<string, unknown> };
type Workflow = { on: Record<string, unknown>; jobs: Record<string, { if?: string; env?: Record<string, string>; steps: Step[] }> };

describe.each(files)(".github/workflows/%s", (file) => {
  it("passes the action only the inputs it declares, with a command it knows", async () => {
    const workflow = parse(await readFile(path.join(dir, file), "utf8")) as Workflow;
    for (const job of Object.values(workflow.jobs)) {
      for (const step of job.steps.filter((s) => s.uses === "./packages/github-action")) {
        for (const input of Object.keys(step.with ?? {})) expect(Object.keys(action.inputs)).toContain(input);
        const command = step.with?.["command"];
        if (command !== undefined) expect(["validate", "plan", "run", "list"]).toContain(command);
      }
    }
  });

  it("does nothing but say so where no warehouse is configured (this repository, a fork)", async () => {
    const workflow = parse(await readFile(path.join(dir, file), "utf8")) as Workflow;
    if (!workflow.on["schedule"] && !workflow.on["workflow_run"]) return;
    const gated = Object.values(workflow.jobs).filter((job) => job.env?.["CONFIGURED"]);
    expect(gated.length).toBeGreaterThan(0);
    for (const job of gated) {
      expect(job.env!["CONFIGURED"]).toBe("${{ secrets.WAREHOUSE_URL != '' }}");
      expect(job.steps[0]).toMatchObject({ if: "env.CONFIGURED != 'true'" });
      expect(job.steps[0]!.run).toMatch(/^echo "::notice title=.*skipped::/);
      for (const step of job.steps.slice(1)) expect(step.if).toBe("env.CONFIGURED == 'true'");
    }
    // A job that runs the action without the gate runs only on what a gated job selected.
    for (const job of Object.values(workflow.jobs).filter((j) => !j.env?.["CONFIGURED"]))
      expect(job.if ?? "").toMatch(/needs\.\w+\.outputs\.activations != '\[\]'/);
  });

  it("runs after another workflow only when it succeeded", async () => {
    const workflow = parse(await readFile(path.join(dir, file), "utf8")) as Workflow;
    const trigger = workflow.on["workflow_run"] as { workflows?: string[]; types?: string[] } | undefined;
    if (!trigger) return;
    expect(trigger.workflows?.length).toBeGreaterThan(0);
    expect(trigger.types).toEqual(["completed"]);
    for (const job of Object.values(workflow.jobs)) expect(job.if).toMatch(/workflow_run\.conclusion == 'success'/);
  });
});
