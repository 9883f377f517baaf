import { describe, expect, it } from "vitest";
import { classifyError, classifyTikTok, describeFailure, type FailureContext } from "./failures.js";
import type { RunReport } from "./run/report.js";
import { deriveWarnings } from "./warnings/warnings.js";

const ctx: FailureContext = {
  warehouse: "main",
  urlEnv: "SHOP_URL",
  stateSchema: "ferry",
  accessTokenEnv: "TIKTOK_TOKEN",
  file: "activations/pos.yml",
};

const failed = (
  kind: NonNullable<RunReport["error"]>["kind"],
  code: string | number | null,
  message: string,
): Omit<RunReport, "warnings"> => ({
  reportVersion: 1,
  runId: "r",
  activation: "pos",
  status: "failed",
  dryRun: false,
  fullRefresh: false,
  startedAt: "",
  finishedAt: "",
  durationMs: 0,
  eventSetId: null,
  counts: { read: 0, sent: 0, rejected: 0, rejectedByReason: {}, deferred: 0, notSent: 0 },
  rowsPerSecond: 0,
  batches: 0,
  requests: 0,
  retries: { throttled: 0, serverErrors: 0, network: 0, waitedMs: 0 },
  samples: [],
  error: { kind, code, message },
});
const settings = { enabled: true, maxRejectedPercent: 5, context: ctx };

describe("failure classification", () => {
  it("sorts what the warehouse and the environment throw by what a human does next", () => {
    expect(classifyError({ kind: "connection" })).toBe("connection");
    expect(classifyError({ kind: "authentication" })).toBe("authentication");
    expect(classifyError({ kind: "permission" })).toBe("permission");
    expect(classifyError({ kind: "query" })).toBe("query");
    expect(classifyError({ kind: "lock_held" })).toBe("lock_held");
    expect(classifyError({ kind: "unsupported" })).toBe("config");
    expect(classifyError({ kind: "config" })).toBe("config");
    expect(classifyError(new TypeError("x is undefined"))).toBe("internal");
  });

  it("sorts what TikTok answered: throttling apart from TikTok's own failures", () => {
    expect(classifyTikTok("auth", 40105)).toBe("tiktok_auth");
    expect(classifyTikTok("permission", 40001)).toBe("tiktok_permission");
    expect(classifyTikTok("invalid", 40002)).toBe("tiktok_refused");
    expect(classifyTikTok("retryable", 40100)).toBe("tiktok_throttled");
    expect(classifyTikTok("retryable", 429)).toBe("tiktok_throttled");
    expect(classifyTikTok("retryable", 51001)).toBe("tiktok_unavailable");
    expect(classifyTikTok("bug", 40062)).toBe("internal");
  });

  it("names the warehouse and the variable its URL came from, never a value, in one warning", () => {
    const [warning, ...rest] = deriveWarnings(failed("query", "query", "column s.customer_mail does not exist"), settings);
    expect(rest).toEqual([]);
    expect(warning).toEqual({
      code: "run_failed",
      severity: "error",
      message: 'A query on warehouse "main" failed: column s.customer_mail does not exist',
      fix: "Run `ferry plan` to see the SQL; check the source and the mapped column names in activations/pos.yml.",
    });
    const [connection] = deriveWarnings(failed("connection", "ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:1"), settings);
    expect(connection!.message).toBe('Ferry could not connect to warehouse "main" (ECONNREFUSED): connect ECONNREFUSED 127.0.0.1:1');
    expect(connection!.fix).toContain("$SHOP_URL");
    const [auth] = deriveWarnings(failed("authentication", "28P01", "password authentication failed"), settings);
    expect(auth!.fix).toBe("Check the user and password in $SHOP_URL (its value is never printed).");
    const [permission] = deriveWarnings(failed("permission", "42501", "permission denied for table orders"), settings);
    expect(permission!.fix).toContain('state schema "ferry"');
    const [token] = deriveWarnings(failed("tiktok_auth", 40105, "access token revoked"), settings);
    expect(token).toMatchObject({ code: "auth_failed", message: "TikTok refused the access token (40105): access token revoked" });
    expect(token!.fix).toContain("$TIKTOK_TOKEN");
  });

  it("has a headline and a fix for every kind, with or without a context", () => {
    for (const kind of [
      "config",
      "connection",
      "authentication",
      "permission",
      "query",
      "lock_held",
      "tiktok_auth",
      "tiktok_permission",
      "tiktok_throttled",
      "tiktok_unavailable",
      "tiktok_refused",
      "internal",
    ]) {
      for (const c of [ctx, undefined]) {
        const { title, fix } = describeFailure(kind, c);
        expect(title.length).toBeGreaterThan(10);
        expect(fix.length).toBeGreaterThan(10);
      }
    }
  });
});
