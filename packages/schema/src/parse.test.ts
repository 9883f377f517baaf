import { describe, expect, it } from "vitest";
import { parseActivation, parseProject } from "./parse.js";

const VALID = `# yaml-language-server: $schema=../schemas/activation.schema.json
version: 1
name: pos-purchases
destination:
  type: tiktok-offline-conversions
  advertiser_id: "7000000000000000001"
  event_set_id: "7100000000000000001"
  access_token_env: TIKTOK_ACCESS_TOKEN
source:
  query: select * from pos_orders
  primary_key: order_id
event: CompletePayment
mapping:
  event_time: purchased_at
  email: email
  phone: phone
  currency: { const: EUR }
schedule: "0 6 * * *"
`;

const errors = (source: string) => {
  const r = parseActivation(source, "a.yml");
  return r.ok ? [] : r.issues;
};

describe("parseActivation", () => {
  it("accepts the documented example and fills defaults", () => {
    const r = parseActivation(VALID, "a.yml");
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.issues).toEqual([]);
    expect(r.value.source.warehouse).toBe("default");
    expect(r.value.warnings).toEqual({ enabled: true, max_rejected_percent: 5, max_dropped_percent: 5 });
    expect(r.value.on_invalid_property).toBe("send_without");
    expect(r.value.destination.batch_size).toBe(1000);
    expect(r.value.destination.max_event_age_days).toBe(28);
    expect(r.value.mapping.currency).toEqual({ const: "EUR" });
  });

  it("reports a typo'd key, an unknown event and a missing identifier together, each located", () => {
    const source = VALID.replace("event: CompletePayment", "event: CompletPayment").replace(
      "  email: email\n  phone: phone\n",
      "  emial: email\n",
    );
    const issues = errors(source);
    expect(issues.map((i) => [i.code, i.path, i.line, i.column, i.hint])).toEqual([
      ["unknown_event", "event", 12, 8, 'did you mean "CompletePayment"?'],
      ["unknown_key", "mapping.emial", 15, 3, 'did you mean "email"?'],
      ["no_identifier", "mapping", 13, 1, "add `email: <column>` or `phone: <column>` under mapping"],
    ]);
    for (const i of issues) expect(i.file).toBe("a.yml");
  });

  it("refuses IDs written as YAML numbers, without repeating them", () => {
    const issues = errors(VALID.replace('"7000000000000000001"', "7000000000000000001"));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: "destination.advertiser_id", line: 6, code: "invalid_type" });
    expect(issues[0]!.message).toMatch(/quoted string of digits.*precision/);
    expect(issues[0]!.message).not.toContain("7000");
  });

  it.each([
    ["a literal token", "0123456789abcdef0123456789abcdef01234567", "secret_literal"],
    ["a mixed-case token", "tkn_Ab12Cd34Ef56Gh78Ij90", "secret_literal"],
    ["a lower-case name", "tiktok_token", "invalid_env_name"],
  ])("refuses %s as access_token_env and never prints it", (_, value, code) => {
    const issues = errors(VALID.replace("TIKTOK_ACCESS_TOKEN", value));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: "destination.access_token_env", code });
    expect(JSON.stringify(issues)).not.toContain(value);
  });

  it.each([
    ["none", (s: string) => s.replace("  query: select * from pos_orders\n", ""), "give the segment as one of query / table / dbt_model"],
    [
      "two",
      (s: string) => s.replace("  query:", "  table: pos_orders\n  query:"),
      "give exactly one of query / table / dbt_model (found query and table)",
    ],
  ])("requires exactly one source (%s)", (_, edit, message) => {
    expect(errors(edit(VALID))).toMatchObject([{ code: "source_count", path: "source", message }]);
  });

  it("requires event_time and a primary key, pointing at the object that lacks them", () => {
    const issues = errors(VALID.replace("  event_time: purchased_at\n", "").replace("  primary_key: order_id\n", ""));
    expect(issues.map((i) => [i.code, i.path, i.line])).toEqual([
      ["missing_field", "source.primary_key", 9],
      ["missing_field", "mapping.event_time", 12],
    ]);
  });

  it.each(["hourly", "daily", "weekly", "*/15 * * * *", "0 6 * * MON-FRI", "0 0 1 JAN,JUL *"])("accepts schedule %s", (schedule) => {
    expect(errors(VALID.replace('"0 6 * * *"', `"${schedule}"`))).toEqual([]);
  });

  it.each(["0 6 * *", "61 * * * *", "0 25 * * *", "*/0 * * * *", "*/61 * * * *", "0 */24 * * *", "0 6 * * 5-1", "every day"])(
    "refuses schedule %s",
    (schedule) => {
      expect(errors(VALID.replace('"0 6 * * *"', `"${schedule}"`))).toMatchObject([{ code: "invalid_schedule", path: "schedule" }]);
    },
  );

  it("warns, without failing, on soft-deprecated events", () => {
    const r = parseActivation(VALID.replace("CompletePayment", "PlaceAnOrder"), "a.yml");
    expect(r.ok).toBe(true);
    expect(r.issues).toMatchObject([{ severity: "warning", code: "deprecated_event", line: 12 }]);
  });

  it("accepts TikTok's 2025 standard names", () => {
    expect(errors(VALID.replace("CompletePayment", "Purchase"))).toEqual([]);
  });

  it("suggests among the keys of the right object", () => {
    expect(errors(VALID.replace("  primary_key:", "  primry_key:"))).toContainEqual(
      expect.objectContaining({ code: "unknown_key", path: "source.primry_key", hint: 'did you mean "primary_key"?' }),
    );
    expect(errors(`${VALID}warnings:\n  enabeld: false\n`)).toMatchObject([
      { path: "warnings.enabeld", hint: 'did you mean "enabled"?', line: 20 },
    ]);
  });

  it("reads JSON with positions", () => {
    const json = JSON.stringify({ version: 1, name: "Bad Name" }, null, 2);
    const issues = errors(json);
    expect(issues.find((i) => i.path === "name")).toMatchObject({ line: 3, code: "invalid_value" });
  });

  it("reports YAML syntax errors and empty files with a location", () => {
    expect(errors("version: 1\nname: [unclosed\n")[0]).toMatchObject({ code: "syntax", line: expect.any(Number) });
    expect(errors("")).toMatchObject([{ code: "empty", line: 1 }]);
    expect(errors("version: 1\nversion: 1\n")[0]).toMatchObject({ code: "syntax", line: 2 });
  });
});

describe("parseProject", () => {
  it("accepts the documented project file", () => {
    const r = parseProject(
      "version: 1\nwarehouses:\n  main:\n    url_env: WAREHOUSE_URL\n    state_schema: ferry\ndefaults:\n  phone_default_region: FR\n  warnings:\n    github_issue:\n      labels: [ferry]\n",
      "ferry.yml",
    );
    expect(r).toMatchObject({
      ok: true,
      value: { defaults: { phone_default_region: "FR", warnings: { github_issue: { labels: ["ferry"] } } } },
    });
  });

  it("refuses a URL in place of the env var name, without printing it", () => {
    const r = parseProject("version: 1\nwarehouses:\n  main:\n    url_env: postgres://u:hunter2@host/db\n", "ferry.yml");
    expect(r).toMatchObject({ ok: false, issues: [{ code: "secret_literal", path: "warehouses.main.url_env", line: 4 }] });
    expect(JSON.stringify(r)).not.toContain("hunter2");
  });
});
