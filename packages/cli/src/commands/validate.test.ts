import { activationYaml, testdir } from "@ferry/testkit";
import { describe, expect, it } from "vitest";
import { runFerry } from "../testing.js";

const broken = activationYaml()
  .replace("event: CompletePayment", "event: CompletPayment")
  .replace('  email: "email"\n  phone: "phone"\n', '  emial: "email"\n');

const REGION = "version: 1\ndefaults:\n  phone_default_region: FR\n";

describe("ferry validate", () => {
  it("accepts a valid project and names the activations", async () => {
    const cwd = await testdir({
      "activations/ferry.yml": REGION,
      "activations/a.yml": activationYaml({ name: "a" }),
      "activations/b.yml": activationYaml({ name: "b" }),
    });
    const r = await runFerry(["validate"], { cwd });
    expect(r).toMatchObject({ code: 0, stdout: "✔ 2 activations valid: a, b\n" });
  });

  it("checks a warehouse URL set in the environment: every scheme Ferry reads, and the list when it cannot", async () => {
    const project =
      "version: 1\nwarehouses:\n  main:\n    url_env: SHOP_URL\n    state_schema: ferry\ndefaults:\n  phone_default_region: FR\n";
    const cwd = await testdir({ "activations/ferry.yml": project, "activations/a.yml": activationYaml({ name: "a", warehouse: "main" }) });
    for (const url of ["duckdb:./shop.duckdb", "md:shop", "bigquery://my-project/shop", "snowflake://ferry@acme/DB", "postgres://u@h/db"]) {
      expect((await runFerry(["validate"], { cwd, env: { SHOP_URL: url } })).code, url).toBe(0);
    }
    const r = await runFerry(["validate"], { cwd, env: { SHOP_URL: "redshift://ferry:hunter2@cluster:5439/db" } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'activations/ferry.yml:4:5 error warehouses.main.url_env: $SHOP_URL: unsupported warehouse URL scheme "redshift:": use postgres://',
    );
    expect(r.stdout).toContain("duckdb:./file.duckdb");
    expect(r.stdout).not.toContain("hunter2");
  });

  it("warns, at the field, when phones are mapped with no region to read national numbers", async () => {
    const cwd = await testdir({ "activations/a.yml": activationYaml({ name: "a" }) });
    const r = await runFerry(["validate"], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "activations/a.yml:15:10 warning mapping.phone: phone is mapped but no region is set: national numbers (without a +country code) will be rejected (set phone_default_region here or under defaults in ferry.yml, or map phone_region to a column of ISO country codes) [phone_without_region]",
    );
    const regional = await testdir({
      "activations/a.yml": activationYaml({ name: "a", mapping: { event_time: "at", phone: "phone", phone_region: "country" } }),
    });
    expect((await runFerry(["validate"], { cwd: regional })).stdout).toBe("✔ 1 activation valid: a\n");
  });

  it("reports every located error of every file and exits 1", async () => {
    const cwd = await testdir({
      "activations/ferry.yml": REGION,
      "activations/bad.yml": broken,
      "activations/dup-1.yml": activationYaml({ name: "same" }),
      "activations/dup-2.yml": activationYaml({ name: "same" }),
    });
    const r = await runFerry(["validate"], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n").filter((l) => l.includes(" error "))).toEqual([
      'activations/bad.yml:11:8 error event: not one of TikTok\'s accepted event names (did you mean "CompletePayment"?) [unknown_event]',
      "activations/bad.yml:12:1 error mapping: map at least one of email / phone: TikTok matches offline conversions on them (add `email: <column>` or `phone: <column>` under mapping) [no_identifier]",
      'activations/bad.yml:14:3 error mapping.emial: unknown key "emial" (did you mean "email"?) [unknown_key]',
      'activations/dup-2.yml:2:7 error name: activation name "same" is already used by activations/dup-1.yml (names key the sync state; give each activation its own) [duplicate_name]',
    ]);
    expect(r.stdout).toContain("✖ 4 errors in 2 files");
  });

  it("prints JSON for tools", async () => {
    const cwd = await testdir({ "x/bad.yml": broken });
    const r = await runFerry(["validate", "x", "--format", "json"], { cwd });
    const out = JSON.parse(r.stdout);
    expect(out.valid).toBe(false);
    expect(out.issues.map((i: { code: string }) => i.code)).toEqual(["unknown_event", "no_identifier", "unknown_key"]);
  });

  it("annotates the diff under GitHub Actions", async () => {
    const cwd = await testdir({ "activations/bad.yml": broken });
    const r = await runFerry(["validate"], { cwd, env: { GITHUB_ACTIONS: "true" } });
    expect(r.stdout).toContain("::error file=activations/bad.yml,line=11,col=8,title=ferry%3A unknown_event::event: not one");
  });

  it("warns on deprecated events, failing only when asked", async () => {
    const cwd = await testdir({ "activations/a.yml": activationYaml({ event: "ClickButton" }) });
    expect((await runFerry(["validate"], { cwd })).code).toBe(0);
    expect((await runFerry(["validate", "--fail-on-warnings"], { cwd })).code).toBe(2);
  });

  it("fails on a missing path and on an unknown warehouse", async () => {
    const cwd = await testdir({ "activations/a.yml": activationYaml({ warehouse: "main" }) });
    const r = await runFerry(["validate", "activations", "nope.yml"], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("nope.yml error no such file or directory");
    expect(r.stdout).toContain('source.warehouse: warehouse "main" is not defined');
  });

  it("uses the nearest ferry.yml", async () => {
    const cwd = await testdir({
      "activations/ferry.yml": "version: 1\nwarehouses:\n  main:\n    url_env: WAREHOUSE_URL\n",
      "activations/sub/a.yml": activationYaml({ warehouse: "main" }),
    });
    expect((await runFerry(["validate"], { cwd })).code).toBe(0);
  });
});
