import { compile, diffPlans } from "@ferry/engine";
import { parseActivation, parseProject, type Project } from "@ferry/schema";
import { activationYaml } from "@ferry/testkit";
import { expect, it } from "vitest";
import type { RunReport } from "@ferry/engine";
import { ledgerRuns, renderHistory, renderIssueBody, renderPlanComment } from "./render.js";

const project = parseProject("version: 1\n", "activations/ferry.yml");
function plan(yaml: string, dbt?: { database: string; schema: string; name: string }) {
  const parsed = parseActivation(yaml, "activations/pos.yml");
  if (!parsed.ok || !project.ok) throw new Error("fixture must be valid");
  const model = parsed.value.source.dbt_model;
  return compile({
    file: "activations/pos.yml",
    activation: parsed.value,
    project: { file: "activations/ferry.yml", project: project.value as Project },
    ...(dbt && model
      ? {
          dbt: {
            ...dbt,
            uniqueId: `model.shop.${model}`,
            model,
            materialized: "table",
            quoted: { database: true, schema: true, identifier: true },
            manifest: "target/manifest.json",
          },
        }
      : {}),
  });
}

it("shows a move from a table to a dbt model as a source change, naming the relation read", () => {
  const before = plan(activationYaml({ table: "pos_orders" }));
  const after = plan(activationYaml({ dbtModel: "pos_purchases" }), {
    database: "analytics",
    schema: "analytics_marts",
    name: "fct_pos_purchases",
  });
  const diff = diffPlans([before], [after]);
  expect(diff.changed[0]!.changes).toEqual([
    { field: "source.table", before: "pos_orders", after: null },
    { field: "source.dbt_model", before: null, after: "pos_purchases" },
    { field: "source.relation", before: null, after: "analytics.analytics_marts.fct_pos_purchases" },
  ]);
  const comment = renderPlanComment(diff);
  expect(comment).toContain("| source.dbt_model | — | `pos_purchases` |");
  expect(comment).toContain("Source: dbt model `pos_purchases` (`analytics.analytics_marts.fct_pos_purchases`)");
});

it("sees a model that dbt now builds elsewhere as a change, though no activation file changed", () => {
  const yaml = activationYaml({ dbtModel: "pos_purchases" });
  const before = plan(yaml, { database: "analytics", schema: "analytics_marts", name: "fct_pos_purchases" });
  const after = plan(yaml, { database: "analytics", schema: "marts", name: "fct_pos_purchases" });
  expect(diffPlans([before], [after]).changed[0]!.changes).toEqual([
    { field: "source.relation", before: "analytics.analytics_marts.fct_pos_purchases", after: "analytics.marts.fct_pos_purchases" },
  ]);
});

it("shows the fields left out of sent events, by field and reason, and marks their samples", () => {
  const report: RunReport = {
    reportVersion: 1,
    runId: "r1",
    activation: "pos",
    status: "success",
    dryRun: false,
    fullRefresh: false,
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:00:01.000Z",
    durationMs: 1000,
    eventSetId: "7100000000000000001",
    counts: {
      read: 10,
      sent: 10,
      rejected: 0,
      rejectedByReason: {},
      deferred: 0,
      notSent: 0,
      droppedFields: { currency: { invalid_currency: 3 }, value: { value_without_currency: 3 } },
      eventsWithDropped: 3,
    },
    rowsPerSecond: 10,
    batches: 1,
    requests: 1,
    retries: { throttled: 0, serverErrors: 0, network: 0, waitedMs: 0 },
    samples: [{ reason: "invalid_currency", field: "currency", dropped: true, primaryKey: { order_id: "7" } }],
    warnings: [],
  };
  const body = renderIssueBody(report);
  expect(body).toContain("| sent without an invalid field | 3 |");
  expect(body).toContain("| currency | `invalid_currency` | 3 |");
  expect(body).toContain("| value | `value_without_currency` | 3 |");
  expect(body).toContain("| currency left out: `invalid_currency` | order_id=7 |");
});

it("draws the activation's last runs from the ledger as a Mermaid chart beside their table", () => {
  const report = (sent: number, rejected: number, email: number) =>
    ({ counts: { sent, rejected, identifiers: { email, phone: Math.floor(sent / 2), twoOrMore: Math.floor(sent / 4) } } }) as unknown;
  const runs = ledgerRuns([
    { startedAt: Date.parse("2026-12-02T06:00:00Z"), status: "success", report: report(120, 3, 118) },
    { startedAt: Date.parse("2026-12-01T06:00:00Z"), status: "success", report: report(100, 0, 100) },
    // Still running, or interrupted before its report: not a point of the chart.
    { startedAt: Date.parse("2026-12-03T06:00:00Z"), status: "running", report: null },
  ]);
  expect(runs.map((r) => r.startedAt)).toEqual(["2026-12-01T06:00:00.000Z", "2026-12-02T06:00:00.000Z"]);
  const markdown = renderHistory("pos-purchases", runs);
  expect(markdown).toContain(
    [
      "```mermaid",
      "xychart-beta",
      '  title "pos-purchases: sent (bars) and rejected (line)"',
      '  x-axis ["12-01 06:00", "12-02 06:00"]',
      '  y-axis "events" 0 --> 120',
      "  bar [100, 120]",
      "  line [0, 3]",
      "```",
    ].join("\n"),
  );
  expect(markdown).toContain("| 2026-12-02 06:00 UTC | success | 120 | 3 | email 98.3%, phone 50.0%, two or more 25.0% |");
  const body = renderIssueBody(
    {
      reportVersion: 1,
      runId: "r2",
      activation: "pos-purchases",
      status: "success",
      dryRun: false,
      fullRefresh: false,
      startedAt: "2026-12-02T06:00:00.000Z",
      finishedAt: "2026-12-02T06:00:01.000Z",
      durationMs: 1000,
      eventSetId: null,
      counts: { read: 123, sent: 120, rejected: 3, rejectedByReason: { invalid_email: 3 }, deferred: 0, notSent: 0 },
      rowsPerSecond: 123,
      batches: 1,
      requests: 1,
      retries: { throttled: 0, serverErrors: 0, network: 0, waitedMs: 0 },
      samples: [],
      warnings: [],
    },
    { history: runs },
  );
  expect(body).toContain("**pos-purchases: the last 2 runs**");
});
