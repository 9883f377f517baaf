import { createHash } from "node:crypto";
import {
  activationYaml,
  createOrders,
  createTempWarehouse,
  expectedSent,
  insertOrders,
  planFor as planForFile,
  SEED,
  seedNote,
  type TempWarehouse,
} from "@ferry/testkit";
import { createTikTokClient, type TikTokClient } from "@ferry/tiktok";
import { startSandbox, type FaultScript, type Sandbox } from "@ferry/tiktok-sandbox";
import { connect, type Warehouse } from "@ferry/warehouse";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SyncPlan } from "../compile/compile.js";
import type { RunReport } from "./report.js";
import { run } from "./run.js";

const NOW = Date.now();
const ROWS = 2000;
// Small batches: about 60 requests, so every fault script meets every seed (a 20% fault missing
// all of them: p ≈ 1e-6).

const planFor = (temp: TempWarehouse, query = "select * from orders"): SyncPlan =>
  planForFile(temp, activationYaml({ query, batchSize: 20 }));

describe(`runs under TikTok faults, over real HTTP (${seedNote})`, () => {
  let temp: TempWarehouse;
  let warehouse: Warehouse;
  let sandbox: Sandbox;
  let tiktok: TikTokClient;
  beforeEach(async () => {
    temp = await createTempWarehouse("sqlite");
    warehouse = connect(temp.url);
    await createOrders(warehouse);
    await insertOrders(warehouse, 1, ROWS, NOW);
    sandbox = await startSandbox({ seed: SEED });
    tiktok = createTikTokClient({
      baseUrl: sandbox.url,
      accessToken: sandbox.token,
      backoff: { baseMs: 1, maxMs: 20 },
      maxAttempts: 40,
      timeoutMs: 250,
    });
  });
  afterEach(async () => {
    await tiktok.close();
    await sandbox.close();
    await warehouse.close();
    await temp.drop();
  });

  async function assertExactlyOnce(report: RunReport) {
    const valid = expectedSent(1, ROWS);
    expect(report).toMatchObject({ status: "success", counts: { sent: valid, notSent: 0 } });
    const ids = sandbox.acceptedIds();
    expect(ids).toHaveLength(valid);
    expect(new Set(ids).size).toBe(valid);
    expect((await warehouse.state.show(temp.stateSchema, report.activation)).acked).toBe(valid);
  }

  it.each<[string, FaultScript, keyof RunReport["retries"]]>([
    ["a throttling storm", { throttleRate: 0.5 }, "throttled"],
    ["throttling with Retry-After", { throttleRate: 0.3, retryAfterSeconds: 0.01 }, "throttled"],
    ["a 30% share of 5xx", { errorRate: 0.3 }, "serverErrors"],
    ["dropped connections after the events were stored", { dropRate: 0.25, dropAfterAccept: true }, "network"],
    ["dropped connections before storing", { dropRate: 0.25 }, "network"],
    ["responses slower than the timeout", { hangRate: 0.2 }, "network"],
  ])("delivers every valid conversion exactly once through %s, and says so", async (_, faults, cause) => {
    sandbox.setFaults(faults);
    const report = await run(planFor(temp), { warehouse, tiktok }, { concurrency: 4 });
    await assertExactlyOnce(report);
    expect(report.retries[cause]).toBeGreaterThan(0);
    expect(report.requests).toBeGreaterThan(report.batches);
  });

  it("stops cleanly when the token is revoked mid-run, with state equal to what TikTok acknowledged", async () => {
    sandbox.setFaults({ revokeTokenAfter: 7, errorRate: 0.2 });
    const plan = planFor(temp);
    const report = await run(plan, { warehouse, tiktok }, { concurrency: 3 });
    expect(report).toMatchObject({ status: "failed", error: { kind: "tiktok_auth", code: 40105 } });
    const acked = await warehouse.execute(`SELECT event_id FROM ${temp.stateTable("acked")}`);
    expect(new Set(acked.map((r) => String(r["event_id"])))).toEqual(new Set(sandbox.acceptedIds()));
    expect(report.counts.sent).toBe(acked.length);
    expect(report.warnings.map((w) => w.code)).toContain("auth_failed");
  });
  it("fails when the warehouse refuses to record what TikTok acknowledged, counts it as not sent, and sends it again next run", async () => {
    const last = 12_000;
    await insertOrders(warehouse, ROWS + 1, last, NOW);
    // A real refusal: a trigger on the state refuses one key (order 11000, valid), and with it
    // the acknowledgements recorded together with it (thousands: several batches' worth).
    // Those recorded before stay.
    await warehouse.state.ensure(temp.stateSchema);
    const refused = createHash("sha256").update("11000").digest("hex");
    await warehouse.execute(
      `CREATE TRIGGER refuse BEFORE INSERT ON ${temp.stateTable("acked")} WHEN NEW.pk_hash = '${refused}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`,
    );
    const plan = planFor(temp, "select * from orders order by order_id");
    const failed = await run(plan, { warehouse, tiktok }, { concurrency: 1 });
    expect(failed).toMatchObject({ status: "failed", error: { message: expect.stringContaining("refused by the test") } });
    const recorded = await warehouse.execute(`SELECT event_id FROM ${temp.stateTable("acked")}`);
    expect(failed.counts.sent).toBe(recorded.length);
    // Some went in before, and the refused key's group did not.
    expect(recorded.length).toBeGreaterThanOrEqual(5000);
    expect(recorded.length).toBeLessThan(expectedSent(1, 11_000));
    expect(failed.counts.notSent).toBeGreaterThan(0);
    const accepted = new Set(sandbox.acceptedIds());
    expect(recorded.every((r) => accepted.has(String(r["event_id"])))).toBe(true);

    await warehouse.execute("DROP TRIGGER refuse");
    const resumed = await run(plan, { warehouse, tiktok }, { concurrency: 1 });
    expect(resumed.status).toBe("success");
    expect(failed.counts.sent + resumed.counts.sent).toBe(expectedSent(1, last));
    // What TikTok took but the state did not was sent again, and deduplicated by TikTok.
    expect(sandbox.stats()).toMatchObject({ accepted: expectedSent(1, last), duplicates: accepted.size - recorded.length });
  });

  describe("requests in flight that follow the API", () => {
    // A client as runPlans makes it: as many connections as requests in flight asked for.
    const clientOf = (connections: number, extra: Partial<Parameters<typeof createTikTokClient>[0]> = {}) =>
      createTikTokClient({ baseUrl: sandbox.url, accessToken: sandbox.token, backoff: { baseMs: 5, maxMs: 50 }, connections, ...extra });

    it("keeps up to the requests in flight asked for, and no more", async () => {
      sandbox.setFaults({ latencyMs: 40 });
      const client = clientOf(8);
      try {
        const report = await run(planFor(temp), { warehouse, tiktok: client }, { concurrency: 8 });
        await assertExactlyOnce(report);
        // The report says what it used: at least what the sandbox saw at once, within the maximum.
        expect(report.inFlight).toMatchObject({ max: 8 });
        expect(report.inFlight!.peak).toBeGreaterThanOrEqual(sandbox.stats().peakInFlight);
        expect(report.inFlight!.peak).toBeLessThanOrEqual(8);
        expect(report.inFlight!.mean).toBeGreaterThan(1);
      } finally {
        await client.close();
      }
      // Beyond the four connections the client used to keep, whatever was asked.
      expect(sandbox.stats().peakInFlight).toBeGreaterThan(4);
      expect(sandbox.stats().peakInFlight).toBeLessThanOrEqual(8);
    });

    it.each<[string, FaultScript]>([
      ["TikTok's 40100 over a cap of 2 in flight", { maxInFlight: 2, latencyMs: 20 }],
      ["a gateway's 429 with a fractional Retry-After", { qps: 40, throttleWith429: true, retryAfterSeconds: 0.05 }],
    ])("never fails for throttling while it makes progress: %s", async (_, faults) => {
      sandbox.setFaults(faults);
      const client = clientOf(8);
      try {
        const report = await run(planFor(temp), { warehouse, tiktok: client }, { concurrency: 8 });
        await assertExactlyOnce(report);
        expect(report.retries.throttled).toBeGreaterThan(0);
        expect(report.retries.waitedMs).toBeGreaterThan(0);
        expect(report.inFlight).toMatchObject({ max: 8 });
        expect(report.inFlight!.peak).toBeLessThanOrEqual(8);
      } finally {
        await client.close();
      }
    });

    it("paces its requests to the requests per second set, so a known limit is never hit", async () => {
      sandbox.setFaults({ qps: 20 });
      const paced = clientOf(8, { requestsPerSecond: 16 });
      try {
        const report = await run(
          planForFile(temp, activationYaml({ query: "select * from orders", batchSize: 40 })),
          { warehouse, tiktok: paced },
          { concurrency: 8 },
        );
        await assertExactlyOnce(report);
        expect(report.retries.throttled).toBe(0);
      } finally {
        await paced.close();
      }
    });

    it("stops cleanly, as throttled, when nothing is accepted for the stall time", async () => {
      sandbox.setFaults({ throttleRate: 1 });
      const client = clientOf(4, { stallMs: 300 });
      try {
        const report = await run(planFor(temp), { warehouse, tiktok: client }, { concurrency: 4 });
        expect(report).toMatchObject({ status: "stopped", error: { kind: "tiktok_throttled", code: 40100 }, counts: { sent: 0 } });
        expect(report.counts.notSent).toBeGreaterThan(0);
        expect(report.warnings[0]).toMatchObject({ code: "tiktok_throttled", severity: "warning" });
        expect(report.warnings[0]!.message).toMatch(
          /^TikTok throttled every request for too long, so the run stopped \(40100\): throttled, with nothing accepted for 0 s/,
        );
        expect((await warehouse.state.show(temp.stateSchema, report.activation)).acked).toBe(0);
      } finally {
        await client.close();
      }
    });

    it("over the per-minute limit, pauses every request as TikTok advises, then goes on", async () => {
      sandbox.setFaults({ perMinute: 10 });
      const pauses: number[] = [];
      const client = clientOf(4, {
        minutePauseMs: 300,
        // The pause is what the test waits on: once it starts, the API's next minute begins.
        onPause: ({ ms }) => {
          pauses.push(ms);
          sandbox.setFaults({});
        },
      });
      const started = Date.now();
      try {
        const report = await run(planFor(temp), { warehouse, tiktok: client }, { concurrency: 4 });
        await assertExactlyOnce(report);
        expect(pauses).toEqual([300]);
        expect(report.retries.waitedMs).toBeGreaterThanOrEqual(300);
      } finally {
        await client.close();
      }
      // The pause is waited for: no request went out in it (the run took at least the pause).
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    });

    it("over the daily limit, stops for the day with what was acknowledged recorded", async () => {
      sandbox.setFaults({ perDay: 5 });
      const client = clientOf(4);
      try {
        const report = await run(planFor(temp), { warehouse, tiktok: client }, { concurrency: 4 });
        expect(report).toMatchObject({ status: "stopped", error: { kind: "tiktok_daily_limit", code: 40100 }, counts: { sent: 100 } });
        expect(report.counts.notSent).toBeGreaterThan(0);
        expect(report.error!.message).toMatch(/^TikTok's daily request limit was reached; it resets at 00:00 UTC, in \d/);
        expect(report.warnings[0]).toMatchObject({ code: "tiktok_throttled", severity: "warning" });
        expect((await warehouse.state.show(temp.stateSchema, report.activation)).acked).toBe(100);
        // The next day's run sends the rest, each event once.
        sandbox.setFaults({});
        const next = await run(planFor(temp), { warehouse, tiktok: client }, { concurrency: 4 });
        expect(next.counts.sent + report.counts.sent).toBe(expectedSent(1, ROWS));
        expect(new Set(sandbox.acceptedIds()).size).toBe(expectedSent(1, ROWS));
      } finally {
        await client.close();
      }
    });
  });
});
