import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { activationYaml, testdir } from "@ferry/testkit";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ACTION_REF, schemaUrl } from "../release.js";
import { runFerry } from "../testing.js";

const read = (cwd: string, file: string) => readFile(path.join(cwd, file), "utf8");
const action = parse(await readFile(new URL("../../../github-action/action.yml", import.meta.url), "utf8")) as {
  inputs: Record<string, unknown>;
};
type Workflow = { on: Record<string, unknown>; jobs: Record<string, { steps: { uses?: string; with?: Record<string, string> }[] }> };
const actionSteps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps.filter((s) => s.uses === ACTION_REF));

describe("ferry init", () => {
  it("scaffolds a project that validates, with workflows on the versioned action, and says what to do next", async () => {
    const cwd = await testdir({ "README.md": "# shop\n" });
    const r = await runFerry(["init"], { cwd });
    expect(r.code, r.stderr).toBe(0);
    for (const file of [
      "activations/ferry.yml",
      "activations/purchases.yml",
      ".github/workflows/ferry-sync.yml",
      ".github/workflows/ferry-plan.yml",
    ])
      expect(r.stdout).toContain(`created ${file}`);
    expect(r.stdout).not.toContain("ferry-after-dbt");
    expect(r.stdout).toContain("Next steps");
    for (const words of ["WAREHOUSE_URL", "TIKTOK_ACCESS_TOKEN", "advertiser ID", "offline event set", "auto-tracking"])
      expect(r.stdout).toContain(words);
    expect(await read(cwd, "README.md")).toBe("# shop\n");

    expect(await read(cwd, "activations/purchases.yml")).toMatch(
      new RegExp(`^# yaml-language-server: \\$schema=${schemaUrl("activation").replace(/[.?]/g, "\\$&")}\n`),
    );
    expect(await read(cwd, "activations/ferry.yml")).toContain(`$schema=${schemaUrl("project")}`);
    const validate = await runFerry(["validate"], { cwd });
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);
    expect((await runFerry(["workflow", "check"], { cwd })).code).toBe(0);

    const sync = parse(await read(cwd, ".github/workflows/ferry-sync.yml")) as Workflow;
    expect(sync.on["schedule"]).toEqual([{ cron: "0 0 * * *" }]);
    expect(Object.keys(sync.jobs)).toEqual(["select", "sync"]);
    expect(actionSteps(sync).map((s) => s.with?.["command"])).toEqual(["list", "run"]);
    expect(JSON.stringify(sync.jobs["sync"])).toContain("fromJSON(needs.select.outputs.activations)");
    const plan = parse(await read(cwd, ".github/workflows/ferry-plan.yml")) as Workflow;
    expect(actionSteps(plan).map((s) => s.with?.["command"])).toEqual(["plan"]);
    for (const step of [...actionSteps(sync), ...actionSteps(plan)])
      for (const input of Object.keys(step.with ?? {})) expect(Object.keys(action.inputs)).toContain(input);
  });

  it("keeps files that exist unless --force, and fills the schedule from every activation", async () => {
    const project = "version: 1\nwarehouses:\n  main:\n    url_env: SHOP_URL\n";
    const cwd = await testdir({
      "activations/ferry.yml": project,
      "activations/leads.yml": activationYaml({ name: "leads", schedule: "hourly" }),
    });
    const r = await runFerry(["init"], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("kept    activations/ferry.yml (exists; --force overwrites it)");
    expect(await read(cwd, "activations/ferry.yml")).toBe(project);
    const sync = parse(await read(cwd, ".github/workflows/ferry-sync.yml")) as Workflow;
    expect(sync.on["schedule"]).toEqual([{ cron: "0 * * * *" }, { cron: "0 0 * * *" }].sort((a, b) => a.cron.localeCompare(b.cron)));

    const again = await runFerry(["init"], { cwd });
    expect(again.stdout).not.toContain("created");
    // An activation that does not validate leaves the schedule to `ferry workflow sync`, said so.
    await writeFile(path.join(cwd, "activations/leads.yml"), "version: 1\nname: leads\n");
    const broken = await runFerry(["init", "--force"], { cwd: await testdir({ "activations/leads.yml": "version: 1\nname: leads\n" }) });
    expect(broken.code).toBe(0);
    expect(broken.stdout).toContain("no cron lines yet: fix what `ferry validate` reports, then run `ferry workflow sync`");
    await writeFile(path.join(cwd, "activations/leads.yml"), activationYaml({ name: "leads", schedule: "hourly" }));
    const forced = await runFerry(["init", "--force"], { cwd });
    expect(forced.stdout).toContain("created activations/ferry.yml");
    expect(await read(cwd, "activations/ferry.yml")).toContain("url_env: WAREHOUSE_URL");
  });

  it("adds the after-dbt workflow when a dbt project is found, with its manifest's path", async () => {
    const cwd = await testdir({ "transform/dbt_project.yml": "name: shop\n" });
    const r = await runFerry(["init", "--dir", "ferry", "--single-job", "--action-ref", "acme/ferry-fork/packages/github-action@v7"], {
      cwd,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("created .github/workflows/ferry-after-dbt.yml");
    expect(r.stdout).toContain("found dbt_project.yml in transform/");
    const dbt = await read(cwd, ".github/workflows/ferry-after-dbt.yml");
    expect(dbt).toContain("path: transform/target\n");
    expect(dbt).toContain("DBT_MANIFEST_PATH: transform/target/manifest.json");
    const sync = parse(await read(cwd, ".github/workflows/ferry-sync.yml")) as Workflow;
    expect(Object.keys(sync.jobs)).toEqual(["sync"]);
    expect(sync.jobs["sync"]!.steps[1]).toMatchObject({ uses: "acme/ferry-fork/packages/github-action@v7", with: { path: "ferry" } });
    expect((await runFerry(["validate", "ferry"], { cwd })).code).toBe(0);
  });

  it("refuses a directory outside the repository and a malformed action ref (exit 64)", async () => {
    const cwd = await testdir({});
    expect((await runFerry(["init", "--dir", "../elsewhere"], { cwd })).code).toBe(64);
    expect((await runFerry(["init", "--action-ref", "not a ref"], { cwd })).code).toBe(64);
    expect((await runFerry(["init", "extra"], { cwd })).code).toBe(64);
  });
});

describe("ferry workflow sync", () => {
  it("creates the sync workflow when it is missing; check fails until then", async () => {
    const cwd = await testdir({ "activations/a.yml": activationYaml({ name: "a", schedule: "0 6 * * *" }) });
    const check = await runFerry(["workflow", "check"], { cwd });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("there is no .github/workflows/ferry-sync.yml");
    const created = await runFerry(["workflow", "sync"], { cwd });
    expect(created.code).toBe(0);
    expect(created.stdout).toContain("created .github/workflows/ferry-sync.yml with 1 cron line");
    const sync = parse(await read(cwd, ".github/workflows/ferry-sync.yml")) as Workflow;
    expect(sync.on["schedule"]).toEqual([{ cron: "0 6 * * *" }]);
    expect(actionSteps(sync).map((s) => s.with?.["command"])).toEqual(["list", "run"]);
    expect((await runFerry(["workflow", "check"], { cwd })).code).toBe(0);
  });
});
