import { startSandbox, type Sandbox } from "@ferry/tiktok-sandbox";
import { SEED, seedNote } from "@ferry/testkit/seed";
import { afterEach, describe, expect, it } from "vitest";
import { createMapper } from "../map/mapper.js";
import { primaryKeyHash } from "../map/mapper.js";
import { eventFingerprint } from "../map/hash.js";
import type { TikTokEvent } from "../types.js";
import { createTikTokClient, type TikTokClientOptions } from "./client.js";

const NOW = Math.floor(Date.now() / 1000);
const EVENT_SET = "7100000000000000001";
const rawEmail = (i: number) => `Customer.${i}@Example.com`;
const rawPhone = (i: number) => `06 12 ${String(i % 100).padStart(2, "0")} ${String(Math.floor(i / 100) % 100).padStart(2, "0")} 78`;

function events(n: number, activation = "client-test"): TikTokEvent[] {
  const map = createMapper({
    activation,
    event: "CompletePayment",
    mapping: { event_time: "at", email: "email", phone: "phone", value: "amount", currency: { const: "EUR" } },
    defaultRegion: "FR",
    maxEventAgeDays: 28,
    now: NOW,
  });
  return Array.from({ length: n }, (_, i) => {
    const result = map({ at: NOW - 3600 - i, email: rawEmail(i), phone: rawPhone(i), amount: (i % 50) + 0.5 }, primaryKeyHash([i]));
    if (!result.ok) throw new Error(`fixture row ${i} rejected: ${result.reason}`);
    return result.event;
  });
}

let sandbox: Sandbox;
const clients: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await sandbox?.close();
});

async function setup(options: Partial<TikTokClientOptions> = {}, sandboxOptions: Parameters<typeof startSandbox>[0] = {}) {
  sandbox = await startSandbox({ seed: SEED, ...sandboxOptions });
  const retries: unknown[] = [];
  const client = createTikTokClient({
    baseUrl: sandbox.url,
    accessToken: sandbox.token,
    backoff: { baseMs: 2, maxMs: 20 },
    onRetry: (info) => retries.push(info),
    ...options,
  });
  clients.push(client);
  return { client, retries };
}

describe(`TikTok client against the sandbox (${seedNote})`, () => {
  it("delivers 10,000 events through 5xx, throttling and dropped connections, each event_id once", async () => {
    const { client, retries } = await setup({ connections: 4, maxAttempts: 30 });
    sandbox.setFaults({ errorRate: 0.2, throttleRate: 0.1, dropRate: 0.05, dropAfterAccept: true });
    const all = events(10_000);
    // 40 requests, so that every seed meets faults (all 40 clean: p ≈ 3e-7).
    const batches = Array.from({ length: 40 }, (_, i) => all.slice(i * 250, (i + 1) * 250));
    const outcomes = await Promise.all(batches.map((b) => client.sendBatch(EVENT_SET, b)));
    for (const o of outcomes) expect(o).toMatchObject({ status: "accepted", accepted: 250, rejected: [] });
    const ids = sandbox.acceptedIds();
    expect(ids).toHaveLength(10_000);
    expect(new Set(ids)).toEqual(new Set(all.map((e) => e.event_id)));
    expect(retries.length).toBeGreaterThan(0);
    const { byCode } = sandbox.stats();
    expect((byCode["50000"] ?? 0) + (byCode["50002"] ?? 0) + (byCode["40100"] ?? 0)).toBeGreaterThan(0);
  });

  it("isolates the events TikTok refuses and sends the other 997", async () => {
    const { client } = await setup();
    const batch = events(1000);
    batch[17] = { ...batch[17]!, properties: { ...batch[17]!.properties, currency: "eur" } };
    batch[500] = { ...batch[500]!, event_time: NOW + 86_400 };
    batch[999] = { ...batch[999]!, properties: { value: -1 } };
    const outcome = await client.sendBatch(EVENT_SET, batch);
    expect(outcome.status).toBe("accepted");
    if (outcome.status !== "accepted") return;
    expect(outcome.accepted).toBe(997);
    expect(outcome.rejected.map((r) => [r.index, r.code, r.message])).toEqual([
      [17, 40002, "data[0].properties.currency must be an ISO 4217 code"],
      [500, 40002, "data[0].event_time is in the future"],
      [999, 40002, "data[0].properties.value must be a non-negative number"],
    ]);
    expect(outcome.rejected.every((r) => r.requestId?.startsWith("sbx-"))).toBe(true);
    // Each refusal carries the fingerprint of the event as sent: the caller's own event's.
    expect(outcome.rejected.map((r) => r.fingerprint)).toEqual([17, 500, 999].map((i) => eventFingerprint(batch[i]!)));
    expect(new Set(outcome.rejected.map((r) => r.fingerprint)).size).toBe(3);
    expect(sandbox.acceptedIds()).toHaveLength(997);
    // Bisection costs about log2(1000) requests per bad event, not one per event.
    expect(outcome.requests).toBeLessThan(70);
  });

  it("sends each batch, and each half of a bisected one, as the JSON of the documented body", async () => {
    const { client } = await setup();
    const batch = events(4);
    batch[2] = { ...batch[2]!, properties: { value: -1 } };
    const sent = batch.map((e) => structuredClone(e));
    // The client serialises at the call: changing the events afterwards changes nothing sent.
    const outcome = client.sendBatch(EVENT_SET, batch, { testEventCode: "TEST9" });
    for (const e of batch) e.event_id = "changed";
    expect(await outcome).toMatchObject({ status: "accepted", accepted: 3, rejected: [{ index: 2 }] });
    const body = (data: TikTokEvent[]) =>
      JSON.stringify({ event_source: "offline", event_source_id: EVENT_SET, partner_name: "Ferry", test_event_code: "TEST9", data });
    expect(sandbox.requests().map((r) => r.body)).toEqual([
      body(sent),
      body(sent.slice(0, 2)),
      body(sent.slice(2)),
      body(sent.slice(2, 3)),
      body(sent.slice(3)),
    ]);
  });

  it("sends a batch of several hundred events, non-ASCII text included, as exactly that JSON", async () => {
    const { client } = await setup();
    const batch = events(1000).map((e, i) => ({
      ...e,
      properties: { ...e.properties, order_id: i % 7 ? `o-${i}` : `commande-${i}-é-🚀` },
    }));
    expect(await client.sendBatch(EVENT_SET, batch)).toMatchObject({ status: "accepted", accepted: 1000 });
    const [request] = sandbox.requests();
    expect(request!.body).toBe(JSON.stringify({ event_source: "offline", event_source_id: EVENT_SET, partner_name: "Ferry", data: batch }));
  });

  it("stops at once on an invalid token, with TikTok's code and no token in the error", async () => {
    const { client, retries } = await setup({ accessToken: "wrong-token-value" });
    const outcome = await client.sendBatch(EVENT_SET, events(10));
    expect(outcome).toMatchObject({ status: "failed", kind: "auth", code: 40105, requests: 1 });
    expect(JSON.stringify(outcome)).not.toContain("wrong-token-value");
    expect(retries).toEqual([]);
  });

  it("does not retry a permission refusal", async () => {
    const { client } = await setup();
    sandbox.setFaults({ denyEventSets: [EVENT_SET] });
    expect(await client.sendBatch(EVENT_SET, events(5))).toMatchObject({ status: "failed", kind: "permission", code: 40001, requests: 1 });
  });

  it("fails loudly, as a bug, on unhashed personal data", async () => {
    const { client } = await setup();
    const [event] = events(1);
    const outcome = await client.sendBatch(EVENT_SET, [{ ...event!, user: { email: ["someone@example.com"] } }]);
    expect(outcome).toMatchObject({ status: "failed", kind: "bug", code: 40062 });
  });

  it("obeys Retry-After when TikTok sends it", async () => {
    const { client, retries } = await setup({
      onRetry: (info) => {
        retries.push(info);
        sandbox.setFaults({});
      },
    });
    sandbox.setFaults({ throttleRate: 1, retryAfterSeconds: 0.25 });
    const outcome = await client.sendBatch(EVENT_SET, events(3));
    expect(outcome).toMatchObject({ status: "accepted", accepted: 3, requests: 2 });
    expect(retries).toEqual([{ attempt: 1, delayMs: 250, code: 40100, httpStatus: 200, requestId: expect.any(String) }]);
  });

  it("times out a hanging request and retries it", async () => {
    const { client, retries } = await setup({
      timeoutMs: 200,
      onRetry: (info) => {
        retries.push(info);
        sandbox.setFaults({});
      },
    });
    sandbox.setFaults({ hangRate: 1 });
    expect(await client.sendBatch(EVENT_SET, events(2))).toMatchObject({ status: "accepted", accepted: 2 });
    expect(retries).toMatchObject([{ attempt: 1, error: expect.stringMatching(/network error/) }]);
  });

  it("gives up after maxAttempts on persistent TikTok-side errors", async () => {
    const { client } = await setup({ maxAttempts: 3 });
    sandbox.setFaults({ errorRate: 1 });
    const outcome = await client.sendBatch(EVENT_SET, events(2));
    expect(outcome).toMatchObject({
      status: "failed",
      kind: "retryable",
      requests: 3,
      message: expect.stringMatching(/^gave up after 3 attempts/),
    });
  });

  it("passes test_event_code at the top level and never sends raw personal data or the token", async () => {
    const { client, retries } = await setup();
    sandbox.setFaults({ errorRate: 0.3 });
    await client.sendBatch(EVENT_SET, events(200), { testEventCode: "TEST123" });
    expect(sandbox.accepted()[0]).toMatchObject({ eventSetId: EVENT_SET, testEventCode: "TEST123" });
    const written = [...sandbox.requests().map((r) => r.body + r.path), JSON.stringify(retries)].join("\n").toLowerCase();
    for (let i = 0; i < 200; i++) {
      expect(written).not.toContain(rawEmail(i).toLowerCase());
      expect(written).not.toContain(rawPhone(i).replace(/ /g, ""));
      expect(written).not.toContain(`+336122${i}`);
    }
    expect(written).not.toContain(sandbox.token);
    expect(written).not.toContain("example.com");
  });
});

describe("event set resolution", () => {
  const advertisers = {
    "7000000000000000001": [{ event_set_id: "7100000000000000009", name: "only" }],
    "7000000000000000002": [
      { event_set_id: "7100000000000000011", name: "pos-purchases" },
      { event_set_id: "7100000000000000012", name: "crm-leads" },
    ],
  };

  it("uses the only event set, or the one named after the activation", async () => {
    const { client } = await setup({}, { advertisers });
    expect(await client.resolveEventSet("7000000000000000001", "anything")).toBe("7100000000000000009");
    expect(await client.resolveEventSet("7000000000000000002", "crm-leads")).toBe("7100000000000000012");
  });

  it("lists the candidates when it cannot choose", async () => {
    const { client } = await setup({}, { advertisers });
    await expect(client.resolveEventSet("7000000000000000002", "subscriptions")).rejects.toThrow(
      'advertiser 7000000000000000002 has 2 offline event sets and none is named "subscriptions": set destination.event_set_id to one of 7100000000000000011 (pos-purchases), 7100000000000000012 (crm-leads)',
    );
    await expect(client.resolveEventSet("7000000000000000003", "x")).rejects.toThrow(/has no offline event set/);
  });
});
