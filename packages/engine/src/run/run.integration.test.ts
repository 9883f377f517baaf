import { createHash } from "node:crypto";
import {
  activationYaml,
  ALL_WAREHOUSES,
  createOrders,
  createTempWarehouse,
  describeWarehouses,
  expectedSent,
  insertOrders,
  planFor,
  rawEmailOf,
  rawPhoneOf,
  type TempWarehouse,
} from "@ferry/testkit";
import { createTikTokClient, type TikTokClient } from "@ferry/tiktok";
import { startSandbox, type Sandbox } from "@ferry/tiktok-sandbox";
import { connect, type Warehouse } from "@ferry/warehouse";
import { afterEach, beforeEach, expect, it } from "vitest";
import { preview } from "../preview.js";
import { run } from "./run.js";

const NOW = Date.now();

describeWarehouses(ALL_WAREHOUSES, (kind) => {
  let temp: TempWarehouse;
  let warehouse: Warehouse;
  let sandbox: Sandbox;
  let tiktok: TikTokClient;
  beforeEach(async () => {
    temp = await createTempWarehouse(kind);
    warehouse = connect(temp.url);
    await createOrders(warehouse);
    await insertOrders(warehouse, 1, 1000, NOW);
    sandbox = await startSandbox();
    tiktok = createTikTokClient({ baseUrl: sandbox.url, accessToken: sandbox.token, backoff: { baseMs: 1, maxMs: 10 } });
  });
  afterEach(async () => {
    await tiktok.close();
    await sandbox.close();
    await warehouse.close();
    await temp.drop();
  });

  it("sends every valid row once, then only what is new or fixed", async () => {
    const plan = planFor(temp);
    const first = await run(plan, { warehouse, tiktok });
    expect(first).toMatchObject({
      status: "success",
      counts: {
        read: 1000,
        sent: expectedSent(1, 1000),
        rejected: 300,
        rejectedByReason: { invalid_email: 100, event_too_old: 100, missing_identifier: 100 },
        notSent: 0,
        // Sent without what was invalid: the bad currency (and the value it qualifies), the bad email beside a phone.
        droppedFields: { currency: { invalid_currency: 100 }, value: { value_without_currency: 100 }, email: { invalid_email: 100 } },
        eventsWithDropped: 200,
      },
      batches: 7,
    });
    expect(sandbox.acceptedIds()).toHaveLength(700);
    const withoutCurrency = sandbox.accepted().filter((e) => e.event["properties"] && !("currency" in (e.event["properties"] as object)));
    expect(withoutCurrency).toHaveLength(100);
    for (const e of withoutCurrency) expect(e.event["properties"]).not.toHaveProperty("value");
    expect(first.samples).toContainEqual(expect.objectContaining({ reason: "invalid_currency", field: "currency", dropped: true }));
    // The exact event, hashed, with event time in seconds from a native timestamp column.
    const sent = sandbox.accepted().find((e) => e.event["event_id"] === first.samples.find(() => true)?.eventId) ?? sandbox.accepted()[0]!;
    expect(sent.event).toMatchObject({ event: "CompletePayment", user: expect.any(Object), properties: { currency: "EUR" } });
    expect(first.warnings.map((w) => w.code)).toEqual(["rejected_share", "dropped_share", "events_too_old"]);

    const second = await run(plan, { warehouse, tiktok });
    expect(second.counts).toMatchObject({ read: 0, sent: 0, rejected: 0 });

    await insertOrders(warehouse, 1001, 1100, NOW);
    const third = await run(plan, { warehouse, tiktok });
    expect(third.counts).toMatchObject({ read: 100, sent: expectedSent(1001, 1100), rejected: 30 });

    // Order 5 had an invalid email and no phone: fixed upstream, it is sent on the next run.
    await warehouse.execute("UPDATE orders SET email = ? WHERE order_id = 5", [rawEmailOf(5)]);
    const fourth = await run(plan, { warehouse, tiktok });
    expect(fourth.counts).toMatchObject({ read: 1, sent: 1, rejected: 0 });
    expect(sandbox.stats()).toMatchObject({ accepted: 771, duplicates: 0 });

    const state = await warehouse.state.show(temp.stateSchema, plan.activation);
    expect(state).toMatchObject({ acked: 771, rejected: { invalid_email: 109, event_too_old: 110, missing_identifier: 110 } });
    expect(state.runs).toHaveLength(4);
    // Nothing personal in the state: hashes, counts, and samples whose key is an order id.
    const stored = JSON.stringify(state) + JSON.stringify(await warehouse.execute(`SELECT * FROM ${temp.stateTable("acked")}`));
    for (const id of [1, 2, 3, 4, 5, 600]) {
      expect(stored.toLowerCase()).not.toContain(rawEmailOf(id).toLowerCase());
      expect(stored).not.toContain(rawPhoneOf(id));
    }
  });

  it("resends every valid row on a full refresh and keeps one record a key", async () => {
    const plan = planFor(temp);
    await run(plan, { warehouse, tiktok });
    const refresh = await run(plan, { warehouse, tiktok }, { fullRefresh: true });
    expect(refresh.counts).toMatchObject({ read: 1000, sent: 700 });
    // Same event_ids: TikTok deduplicates the resend.
    expect(sandbox.stats()).toMatchObject({ accepted: 700, duplicates: 700 });
    const acked = temp.stateTable("acked");
    const [records] = await warehouse.execute(`SELECT COUNT(*) AS n, COUNT(DISTINCT pk_hash) AS k FROM ${acked}`);
    expect([Number(records!["n"]), Number(records!["k"])]).toEqual([700, 700]);
    expect((await run(plan, { warehouse, tiktok })).counts).toMatchObject({ read: 0 });
  });

  it("records nothing on a dry run, and previews hashed events", async () => {
    const plan = planFor(temp);
    const dry = await run(plan, { warehouse }, { dryRun: true });
    expect(dry).toMatchObject({ status: "success", dryRun: true, counts: { read: 1000, sent: 700 } });
    expect(sandbox.stats().requests).toBe(0);
    const p = await preview(plan, { warehouse }, { samples: 3 });
    expect(p.newRows).toBe(1000);
    expect(p.samples).toHaveLength(3);
    expect(JSON.stringify(p.samples)).not.toMatch(/example\.com/i);
  });

  it("stops on a revoked token with state equal to what TikTok acknowledged, then resumes", async () => {
    const plan = planFor(temp);
    sandbox.setFaults({ revokeTokenAfter: 2 });
    const failed = await run(plan, { warehouse, tiktok }, { concurrency: 1 });
    expect(failed).toMatchObject({ status: "failed", error: { kind: "tiktok_auth", code: 40105 } });
    expect(failed.warnings.map((w) => w.code)).toContain("auth_failed");
    const acknowledged = sandbox.acceptedIds().length;
    expect(acknowledged).toBe(200);
    expect((await warehouse.state.show(temp.stateSchema, plan.activation)).acked).toBe(acknowledged);
    expect(failed.counts.sent).toBe(acknowledged);

    // Rows rejected for their values before the stop stay remembered; everything else is resent.
    sandbox.setFaults({});
    const resumed = await run(plan, { warehouse, tiktok });
    expect(resumed.status).toBe("success");
    expect(failed.counts.sent + resumed.counts.sent).toBe(700);
    expect(sandbox.stats()).toMatchObject({ accepted: 700, duplicates: 0 });
  });

  it("lets only one of two simultaneous runs send", async () => {
    const plan = planFor(temp);
    const other = connect(temp.url);
    try {
      const results = await Promise.allSettled([run(plan, { warehouse, tiktok }), run(plan, { warehouse: other, tiktok })]);
      const ok = results.filter((r) => r.status === "fulfilled");
      const held = results.filter((r) => r.status === "rejected" && (r.reason as { code?: string }).code === "lock_held");
      expect(ok.length + held.length).toBe(2);
      expect(ok.length).toBeGreaterThanOrEqual(1);
      expect(sandbox.stats()).toMatchObject({ accepted: 700, duplicates: 0 });
    } finally {
      await other.close();
    }
  });

  it("passes over remembered rejections until their values or the mapping change", async () => {
    // With reject_row, the rows with an invalid currency are rejected (and remembered) too.
    const plan = planFor(temp, activationYaml({ query: "select * from orders", batchSize: 100, onInvalidProperty: "reject_row" }));
    expect((await run(plan, { warehouse, tiktok })).counts).toMatchObject({ read: 1000, rejected: 400 });
    // Order 15 had an invalid email; changed upstream to another invalid one, it is rejected anew.
    await warehouse.execute("UPDATE orders SET email = ? WHERE order_id = 15", ["still-not-an-email"]);
    expect((await preview(plan, { warehouse })).newRows).toBe(1);
    expect((await run(plan, { warehouse, tiktok })).counts).toMatchObject({ read: 1, sent: 0, rejectedByReason: { invalid_email: 1 } });
    expect((await run(plan, { warehouse, tiktok })).counts).toMatchObject({ read: 0 });
    expect((await preview(plan, { warehouse })).newRows).toBe(0);

    // A changed mapping rechecks them all: a constant currency sends the 100 rows that had a bad
    // one, and the others are rejected (and reported) again, once.
    const remapped = (mapping: Record<string, string | { const: string }>) =>
      planFor(temp, activationYaml({ query: "select * from orders", batchSize: 100, mapping, onInvalidProperty: "reject_row" }));
    const base = { event_time: "purchased_at", email: "email", phone: "phone", value: "amount", order_id: "order_id" };
    const euros = remapped({ ...base, currency: { const: "EUR" } });
    expect((await preview(euros, { warehouse })).newRows).toBe(400);
    const rechecked = await run(euros, { warehouse, tiktok });
    expect(rechecked.counts).toMatchObject({ read: 400, sent: 100, rejected: 300, rechecked: 400, rejectedAgain: 300 });
    // Reported when first seen: rows checked again do not make "300 of 400 rejected" a warning.
    expect(rechecked.warnings.map((w) => w.code)).not.toContain("rejected_share");
    expect((await run(euros, { warehouse, tiktok })).counts).toMatchObject({ read: 0 });
    // So does a change that reads the same columns: a shop_id from the order id.
    const shops = remapped({ ...base, currency: { const: "EUR" }, shop_id: "order_id" });
    expect((await run(shops, { warehouse, tiktok })).counts).toMatchObject({ read: 300, sent: 0, rejected: 300 });
    expect((await run(shops, { warehouse, tiktok })).counts).toMatchObject({ read: 0 });

    // A row fixed upstream is sent.
    expect((await run(shops, { warehouse, tiktok })).counts).toMatchObject({ read: 0 });
    await warehouse.execute("UPDATE orders SET email = ? WHERE order_id = 25", [rawEmailOf(25)]);
    expect((await run(shops, { warehouse, tiktok })).counts).toMatchObject({ read: 1, sent: 1, rejected: 0 });
    expect(sandbox.stats()).toMatchObject({ accepted: 701, duplicates: 0 });
  });

  it("isolates events TikTok refuses and remembers them", async () => {
    const plan = planFor(temp);
    const samples = (await preview(plan, { warehouse }, { samples: 2 })).samples;
    const refused = samples.map((e) => e.event_id);
    sandbox.setFaults({ refuseEventIds: refused });
    const report = await run(plan, { warehouse, tiktok });
    expect(report.counts).toMatchObject({ sent: 698, rejectedByReason: { tiktok_refused: 2 } });
    expect(
      report.samples
        .filter((s) => s.reason === "tiktok_refused")
        .map((s) => s.eventId)
        .sort(),
    ).toEqual([...refused].sort());
    sandbox.setFaults({});
    expect((await run(plan, { warehouse, tiktok })).counts.read).toBe(0);
    expect((await preview(plan, { warehouse })).newRows).toBe(0);

    // A refused row whose values change is offered again.
    const [changed, legacy] = samples.map((e) => Number(e.properties!.order_id));
    await warehouse.execute("UPDATE orders SET amount = ? WHERE order_id = ?", ["1234.5", changed!]);
    expect((await run(plan, { warehouse, tiktok })).counts).toMatchObject({ read: 1, sent: 1 });
    // So is one whose stored fingerprint no longer matches its event, once.
    const rejected = temp.stateTable("rejected");
    await warehouse.execute(`UPDATE ${rejected} SET fingerprint = ? WHERE reason = 'tiktok_refused'`, ["ab".repeat(32)]);
    expect((await preview(plan, { warehouse })).newRows).toBe(1);
    expect((await run(plan, { warehouse, tiktok })).counts).toMatchObject({ read: 1, sent: 1 });
    expect(sandbox.acceptedIds().filter((id) => refused.includes(id))).toHaveLength(2);
    expect(legacy).toBeGreaterThan(0);
    expect((await run(plan, { warehouse, tiktok })).counts.read).toBe(0);
  });
});

describeWarehouses(["postgres"], (kind) => {
  it("counts every key of acknowledgement groups that the warehouse records at the same time", async () => {
    const temp = await createTempWarehouse(kind);
    const warehouse = connect(temp.url);
    const gatekeeper = connect(temp.url);
    const sandbox = await startSandbox();
    const tiktok = createTikTokClient({ baseUrl: sandbox.url, accessToken: sandbox.token });
    try {
      await createOrders(warehouse);
      await insertOrders(warehouse, 1, 20_000, NOW);
      await warehouse.state.ensure(temp.stateSchema);
      // A gate on the state: each statement recording acknowledgements waits for an advisory
      // lock, which the gatekeeper holds (through the warehouse's own run lock, on "gate") until
      // two groups wait together. Then both finish at once.
      const gate = BigInt.asIntN(
        64,
        BigInt(`0x${createHash("sha256").update(`ferry-lock:${temp.stateSchema}:gate`).digest("hex").slice(0, 16)}`),
      );
      await warehouse.execute(
        `CREATE FUNCTION ${temp.stateSchema}.gate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_xact_lock_shared(${gate}); RETURN NULL; END $$`,
      );
      await warehouse.execute(
        `CREATE TRIGGER gate BEFORE INSERT ON ${temp.stateTable("acked")} FOR EACH STATEMENT EXECUTE FUNCTION ${temp.stateSchema}.gate()`,
      );
      const plan = planFor(temp, activationYaml({ query: "select * from orders", batchSize: 1000 }));
      // The run is handed out in an object: returned as such, withLock would wait for it, gate shut.
      const { running } = await gatekeeper.withLock("gate", temp.stateSchema, async () => {
        const running = run(plan, { warehouse, tiktok }, { concurrency: 4 });
        const waiting = async () =>
          Number(
            (
              await gatekeeper.execute(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'advisory' AND query LIKE 'COPY%'",
              )
            )[0]!["n"],
          );
        while ((await waiting()) < 2) await new Promise((resolve) => setImmediate(resolve));
        return { running };
      });
      const report = await running;
      expect(report).toMatchObject({ status: "success", counts: { sent: expectedSent(1, 20_000), notSent: 0 } });
      expect((await warehouse.state.show(temp.stateSchema, plan.activation)).acked).toBe(expectedSent(1, 20_000));
    } finally {
      await tiktok.close();
      await sandbox.close();
      await gatekeeper.close();
      await warehouse.close();
      await temp.drop();
    }
  });
});
