import { readFile } from "node:fs/promises";
import path from "node:path";
import { activationYaml, testdir } from "@ferry/testkit";
import { expect, it } from "vitest";
import { runFerry } from "../testing.js";

const WORKFLOW = `name: Ferry sync
# the schedule is kept by ferry workflow sync
on:
  schedule:
    - cron: "0 6 * * *"
    - cron: "30 2 * * *"
  workflow_dispatch:
jobs:
  sync:
    runs-on: ubuntu-latest
`;

it("checks that every schedule has a cron line, then syncs them keeping the file", async () => {
  const cwd = await testdir({
    ".github/workflows/ferry-sync.yml": WORKFLOW,
    "activations/a.yml": activationYaml({ name: "a", schedule: "0 6 * * *" }),
    "activations/b.yml": activationYaml({ name: "b", schedule: "hourly" }),
    "activations/c.yml": activationYaml({ name: "c", schedule: "0  6 * * *" }),
  });
  const check = await runFerry(["workflow", "check"], { cwd });
  expect(check.code).toBe(1);
  expect(check.stdout).toContain('b: schedule "0 * * * *" has no cron line');
  expect(check.stdout).toContain('cron "30 2 * * *" in .github/workflows/ferry-sync.yml matches no activation');

  expect((await runFerry(["workflow", "sync"], { cwd })).code).toBe(0);
  const synced = await readFile(path.join(cwd, ".github/workflows/ferry-sync.yml"), "utf8");
  expect(synced).toContain("# the schedule is kept by ferry workflow sync");
  expect(synced).toContain("workflow_dispatch");
  expect(synced).toMatch(/# b\n\s+- cron: "0 \* \* \* \*"/);
  expect(synced).toMatch(/# a, c\n\s+- cron: "0 6 \* \* \*"/);
  expect(synced).not.toContain("30 2");
  expect((await runFerry(["workflow", "check"], { cwd })).code).toBe(0);
  expect((await runFerry(["workflow", "sync"], { cwd })).stdout).toContain("already schedules every activation");
});
