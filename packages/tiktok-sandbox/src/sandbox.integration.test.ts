import { createHash } from "node:crypto";
import { connect } from "node:net";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { startSandbox } from "./sandbox.js";
import type { Sandbox } from "./types.js";

const NOW = 1_764_000_000;
const hex = (s: string) => createHash("sha256").update(s).digest("hex");
const event = (over: Record<string, unknown> = {}) => ({
  event: "CompletePayment",
  event_time: NOW - 60,
  event_id: "a:1",
  user: { email: [hex("a@example.com")] },
  properties: { value: 1.5, currency: "EUR", order_id: "o-1" },
  ...over,
});
const body = (data: unknown[], over: Record<string, unknown> = {}) => ({
  event_source: "offline",
  event_source_id: "7100000000000000001",
  partner_name: "Ferry",
  data,
  ...over,
});

let sandbox: Sandbox;
afterEach(() => sandbox?.close());

async function post(payload: unknown, token = "sandbox-token") {
  const res = await fetch(`${sandbox.url}/open_api/v1.3/event/track/`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { "access-token": token } : {}) },
    body: typeof payload === "string" ? payload : JSON.stringify(payload),
  });
  return (await res.json()) as { code: number; message: string; request_id: string };
}

describe("sandbox contract", () => {
  it("accepts a conforming batch and dedups event_ids within 48 hours", async () => {
    let now = NOW;
    sandbox = await startSandbox({ now: () => now });
    expect(await post(body([event()]))).toMatchObject({ code: 0, message: "OK", request_id: expect.any(String) });
    expect(await post(body([event()]))).toMatchObject({ code: 0 });
    expect(sandbox.stats()).toMatchObject({ accepted: 1, duplicates: 1 });
    now += 49 * 3600;
    await post(body([event({ event_time: now - 60 })]));
    expect(sandbox.stats()).toMatchObject({ accepted: 2, duplicates: 1 });
  });

  it.each([
    ["a missing token", body([event()]), "", 40104],
    ["a wrong token", body([event()]), "nope", 40105],
    ["more than 1,000 events", body(Array.from({ length: 1001 }, (_, i) => event({ event_id: `a:${i}` }))), undefined, 40061],
    ["an unhashed email", body([event({ user: { email: ["a@example.com"] } })]), undefined, 40062],
    ["an unhashed phone", body([event({ user: { phone: ["+33612345678"] } })]), undefined, 40062],
    ["an upper-case digest", body([event({ user: { email: [hex("a").toUpperCase()] } })]), undefined, 40002],
    ["a digest one digit short", body([event({ user: { phone: [hex("a").slice(1)] } })]), undefined, 40002],
    ["a digest one digit long", body([event({ user: { phone: [`${hex("a")}0`] } })]), undefined, 40002],
    ["a digest with a letter past f", body([event({ user: { email: [`${hex("a").slice(1)}g`] } })]), undefined, 40002],
    ["a digest with a non-ASCII letter", body([event({ user: { email: [`${hex("a").slice(1)}\u00e9`] } })]), undefined, 40002],
    ["no email nor phone", body([event({ user: { external_id: [hex("x")] } })]), undefined, 40002],
    ["milliseconds", body([event({ event_time: (NOW - 60) * 1000 })]), undefined, 40002],
    ["a fractional time", body([event({ event_time: NOW - 60.5 })]), undefined, 40002],
    ["an event in the future", body([event({ event_time: NOW + 3600 })]), undefined, 40002],
    ["an event older than 28 days", body([event({ event_time: NOW - 29 * 86400 })]), undefined, 40002],
    ["an unknown event name", body([event({ event: "Buy" })]), undefined, 40002],
    // eslint-disable-next-line no-loss-of-precision -- the precision loss is the point: IDs must be strings
    ["a numeric event set id", body([event()], { event_source_id: 7100000000000000001 }), undefined, 40002],
    ["event_source web", body([event()], { event_source: "web" }), undefined, 40002],
    ["a null property", body([event({ properties: { value: null } })]), undefined, 40002],
    ["an empty order_id", body([event({ properties: { order_id: "" } })]), undefined, 40002],
    ["a lower-case currency", body([event({ properties: { currency: "eur" } })]), undefined, 40002],
    ["a string value", body([event({ properties: { value: "1.5" } })]), undefined, 40002],
    ["a numeric order_id", body([event({ properties: { order_id: 7 } })]), undefined, 40002],
    ["test_event_code inside an event", body([event({ test_event_code: "T" })]), undefined, 40002],
    ["a value without its currency", body([event({ properties: { value: 1.5, order_id: "o-1" } })]), undefined, 40002],
    ["an unknown property", body([event({ properties: { revenue: 1 } })]), undefined, 40002],
    ["an empty batch", body([]), undefined, 40002],
    ["invalid JSON", "{", undefined, 40002],
  ])("refuses %s", async (_, payload, token, code) => {
    sandbox = await startSandbox({ now: () => NOW });
    const answer = await post(payload, token ?? "sandbox-token");
    expect(answer.code).toBe(code);
    expect(answer.message.length).toBeGreaterThan(0);
    expect(sandbox.stats().accepted).toBe(0);
  });

  it("refuses the whole batch for one bad event, naming it", async () => {
    sandbox = await startSandbox({ now: () => NOW });
    expect(await post(body([event(), event({ event_id: "a:2", event_time: "yesterday" })]))).toMatchObject({
      code: 40002,
      message: "data[1].event_time must be an integer number of seconds",
    });
    const clear = event({ event_id: "a:3", user: { phone: ["a".repeat(64), "+33612345678"] } });
    expect(await post(body([event(), event(), clear]))).toMatchObject({
      code: 40062,
      message: "data[2].user.phone[1] is personal data that is not hashed",
    });
    expect(await post(body([event({ properties: { value: 1, num_items: 1.5 } })]))).toMatchObject({
      code: 40002,
      message: "data[0].properties.num_items must be a non-negative integer",
    });
    expect(sandbox.stats().accepted).toBe(0);
  });

  it("throttles above its QPS limit and answers TikTok-side errors as configured", async () => {
    sandbox = await startSandbox({ now: () => NOW, faults: { qps: 2 } });
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await post(body([event({ event_id: `q:${i}` })]))).code);
    expect(codes).toEqual([0, 0, 40100, 40100]);
    sandbox.setFaults({ errorRate: 1 });
    expect([50000, 50002]).toContain((await post(body([event({ event_id: "e" })]))).code);
  });

  it("drops a request whose client goes away mid-body, without judging or counting it", async () => {
    sandbox = await startSandbox({ now: () => NOW });
    const { port } = new URL(sandbox.url);
    const socket = connect(Number(port), "127.0.0.1");
    await once(socket, "connect");
    // Expect: 100-continue makes the server answer once its handler is reading the body, so
    // the client is known to hang up in the middle of it (as a killed run does).
    socket.write(
      "POST /open_api/v1.3/event/track/ HTTP/1.1\r\nHost: sandbox\r\naccess-token: sandbox-token\r\n" +
        "content-type: application/json\r\ncontent-length: 100000\r\nexpect: 100-continue\r\n\r\n",
    );
    const [interim] = (await once(socket, "data")) as [Buffer];
    expect(interim.toString("latin1")).toMatch(/^HTTP\/1\.1 100 Continue/);
    socket.end('{"event_source":"offline","data":[');
    socket.destroy();
    expect((await post(body([event()]))).code).toBe(0);
    expect(sandbox.stats()).toMatchObject({ requests: 1, accepted: 1 });
    // Closing waits for the dropped connection too; an unhandled rejection would fail this file.
    await sandbox.close();
  });

  it("revokes the token mid-run when scripted", async () => {
    sandbox = await startSandbox({ now: () => NOW, faults: { revokeTokenAfter: 1 } });
    expect((await post(body([event()]))).code).toBe(0);
    expect((await post(body([event({ event_id: "a:2" })]))).code).toBe(40105);
  });

  it("lists and creates offline event sets, and serves what it accepted over HTTP", async () => {
    sandbox = await startSandbox({
      now: () => NOW,
      advertisers: { "7000000000000000001": [{ event_set_id: "7100000000000000001", name: "pos" }] },
    });
    const headers = { "access-token": "sandbox-token", "content-type": "application/json" };
    const list = await (await fetch(`${sandbox.url}/open_api/v1.3/offline/get/?advertiser_id=7000000000000000001`, { headers })).json();
    expect(list).toMatchObject({ code: 0, data: { list: [{ event_set_id: "7100000000000000001", name: "pos" }] } });
    const created = await (
      await fetch(`${sandbox.url}/open_api/v1.3/offline/create/`, {
        method: "POST",
        headers,
        body: JSON.stringify({ advertiser_id: "7000000000000000002", name: "new" }),
      })
    ).json();
    expect(created).toMatchObject({ code: 0, data: { event_set_id: expect.stringMatching(/^\d{19}$/) } });
    await post(body([event()], { test_event_code: "TEST1" }));
    const accepted = await (await fetch(`${sandbox.url}/sandbox/events?event_set_id=7100000000000000001`)).json();
    expect(accepted).toMatchObject([{ eventSetId: "7100000000000000001", testEventCode: "TEST1", event: { event_id: "a:1" } }]);
  });
});
