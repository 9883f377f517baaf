import { parseActivation, parseProject, type Project } from "@ferry/schema";
import { activationYaml } from "@ferry/testkit";
import { describe, expect, it } from "vitest";
import { compile } from "./compile.js";

function planOf(activation: string, project = "version: 1\n", positions?: Record<string, { line: number; column: number }>) {
  const a = parseActivation(activation, "activations/a.yml");
  const p = parseProject(project, "activations/ferry.yml");
  if (!a.ok || !p.ok) throw new Error(`fixture must be valid: ${JSON.stringify([a.issues, p.issues])}`);
  return compile({
    file: "activations/a.yml",
    activation: a.value,
    project: { file: "activations/ferry.yml", project: p.value as Project },
    ...(positions ? { positions } : {}),
  });
}

describe("compile", () => {
  it("takes requests in flight and per second from the activation, else the project, else 8 and no cap", () => {
    const plain = activationYaml();
    expect(planOf(plain).destination).toMatchObject({ requestsInFlight: 8 });
    expect(planOf(plain).destination).not.toHaveProperty("requestsPerSecond");
    const project = "version: 1\ndefaults:\n  requests_in_flight: 6\n  requests_per_second: 10\n";
    expect(planOf(plain, project).destination).toMatchObject({ requestsInFlight: 6, requestsPerSecond: 10 });
    const own = plain.replace(
      "  access_token_env: TIKTOK_ACCESS_TOKEN\n",
      "  access_token_env: TIKTOK_ACCESS_TOKEN\n  requests_in_flight: 2\n",
    );
    expect(planOf(own, project).destination).toMatchObject({ requestsInFlight: 2, requestsPerSecond: 10 });
  });

  it("keeps where fields are written out of the plan's hash: moving a line changes nothing", () => {
    const plan = planOf(activationYaml(), undefined, { "mapping.email": { line: 15, column: 10 } });
    const moved = planOf(activationYaml(), undefined, { "mapping.email": { line: 16, column: 10 } });
    expect(moved.positions).toEqual({ "mapping.email": { line: 16, column: 10 } });
    expect(moved.contentHash).toBe(plan.contentHash);
  });
});
