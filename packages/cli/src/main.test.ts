import { describe, expect, it } from "vitest";
import { COMMANDS } from "./main.js";
import { runFerry } from "./testing.js";

describe("ferry", () => {
  it("teaches its usage with --help", async () => {
    const r = await runFerry(["--help"], { cwd: "/" });
    expect(r.code).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(r.stdout).toContain(`  ${name} `);
    expect(r.stdout).toContain("ferry validate");
  });

  it.each(Object.keys(COMMANDS))("ferry %s --help shows usage and an example", async (name) => {
    const r = await runFerry([name, "--help"], { cwd: "/" });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: ferry ${name}`));
    expect(r.stdout).toContain("Examples:");
  });

  it("refuses unknown commands and options with exit 64", async () => {
    expect((await runFerry(["valdate"], { cwd: "/" })).code).toBe(64);
    const r = await runFerry(["validate", "--nope"], { cwd: "/" });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain("--nope");
  });
});
