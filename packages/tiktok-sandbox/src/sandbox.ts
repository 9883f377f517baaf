import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Deduplication } from "./dedup.js";
import { createEventSet, listEventSets } from "./event-sets.js";
import { dice, latency, Limits } from "./faults.js";
import { answer, emptyStats, type SandboxState } from "./state.js";
import { track } from "./track.js";
import type { FaultScript, RecordedRequest, Sandbox, SandboxOptions } from "./types.js";

const TRACK = "/open_api/v1.3/event/track/";

/**
 * A local TikTok Events API that checks requests against the contract on its own (it imports
 * nothing of Ferry's): track, offline event sets, and /sandbox/ control endpoints for tests,
 * the demo and the benchmark. Faults are scripted; see FaultScript.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const tokens = new Set(options.tokens ?? ["sandbox-token"]);
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const random = dice(options.seed ?? 1);
  const state: SandboxState = {
    faults: {},
    revoked: false,
    acceptedRequests: 0,
    requestSeq: 0,
    inFlight: 0,
    events: [],
    recorded: [],
    stats: emptyStats(),
    dedup: new Deduplication(),
    limits: new Limits(random),
    random,
    rules: { now, windowDays: options.windowDays === undefined ? 28 : options.windowDays, futureSkewSeconds: 300 },
    keepEvents: options.keepEvents ?? true,
    advertisers: structuredClone(options.advertisers ?? {}),
  };
  /** A new script starts afresh: a token revoked by the previous one is valid again, the limits' counts are zero. */
  const script = (f: FaultScript) => {
    state.faults = f;
    state.revoked = f.revokeTokenAfter === 0;
    state.acceptedRequests = 0;
    state.limits.reset();
  };
  const reset = () => {
    state.dedup.clear();
    state.events = [];
    state.recorded = [];
    state.stats = emptyStats();
    script({});
  };
  script(options.faults ?? {});

  /** /sandbox/stats, /sandbox/events, PUT /sandbox/faults, POST /sandbox/reset. */
  const control = (req: IncomingMessage, res: ServerResponse, url: URL, text: string) => {
    res.setHeader("content-type", "application/json");
    if (url.pathname === "/sandbox/stats") return res.end(JSON.stringify(state.stats));
    if (url.pathname === "/sandbox/events") {
      const set = url.searchParams.get("event_set_id");
      return res.end(JSON.stringify(set ? state.events.filter((e) => e.eventSetId === set) : state.events));
    }
    if (url.pathname === "/sandbox/faults" && req.method === "PUT") {
      script(JSON.parse(text || "{}") as FaultScript);
      return res.end("{}");
    }
    if (url.pathname === "/sandbox/reset" && req.method === "POST") {
      reset();
      return res.end("{}");
    }
    res.statusCode = 404;
    res.end('{"error":"unknown sandbox endpoint"}');
  };

  /** The API: authentication, then the endpoint; every request recorded and counted by code. */
  const api = async (req: IncomingMessage, res: ServerResponse, url: URL, text: string) => {
    const isTrack = url.pathname === TRACK;
    // Track requests wait in track(), where their events and the limits are known.
    if (!isTrack) await latency(state.faults, random);
    state.stats.requests++;
    // Without kept events the bodies are not kept either: a benchmark's million events would
    // otherwise stay in memory as text.
    const record: RecordedRequest = {
      method: req.method ?? "",
      path: url.pathname + url.search,
      body: state.keepEvents ? text : "",
      code: undefined,
      events: 0,
    };
    state.recorded.push(record);
    res.on("finish", () => {
      if (record.code === undefined) return;
      state.stats.byCode[record.code] = (state.stats.byCode[record.code] ?? 0) + 1;
      if (record.code !== 0) state.stats.refused++;
      if (isTrack) options.onTrack?.(state.stats);
    });
    const token = req.headers["access-token"];
    if (typeof token !== "string" || token === "") {
      record.code = 40104;
      return answer(state, res, 40104, "Access-Token header is missing");
    }
    if (!tokens.has(token) || state.revoked) {
      record.code = 40105;
      return answer(state, res, 40105, "the access token is invalid or has been revoked");
    }
    if (isTrack && req.method === "POST") return track(state, req, res, text, record);
    if (url.pathname === "/open_api/v1.3/offline/get/" && req.method === "GET") return listEventSets(state, res, url, record);
    if (url.pathname === "/open_api/v1.3/offline/create/" && req.method === "POST") return createEventSet(state, res, text, record);
    record.code = 40002;
    answer(state, res, 40002, `unknown endpoint ${req.method} ${url.pathname}`, {}, { status: 404 });
  };

  const server = createServer(async (req, res) => {
    state.inFlight++;
    state.stats.peakInFlight = Math.max(state.stats.peakInFlight, state.inFlight);
    res.once("close", () => state.inFlight--);
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      // The client went away mid-body (a killed run, a timed-out upload): there is no one to
      // answer, and a half-read request must not be judged or counted.
      return void res.destroy();
    }
    const text = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://sandbox");
    if (url.pathname.startsWith("/sandbox/")) return control(req, res, url, text);
    await api(req, res, url, text);
  });
  const sockets = new Set<Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.keepAliveTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    token: [...tokens][0] ?? "",
    accepted: () => state.events,
    acceptedIds: () => state.dedup.ids(),
    requests: () => state.recorded,
    stats: () => structuredClone(state.stats),
    setFaults: script,
    reset,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
