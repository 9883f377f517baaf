import { compile, CompileError, type SyncPlan } from "@ferry/engine";
import { loadActivations } from "@ferry/schema";
import { createTikTokClient, DEFAULT_BASE_URL, type TikTokClient } from "@ferry/tiktok";
import { connect, type Warehouse } from "@ferry/warehouse";
import { describeIssue } from "./commands/validate.js";
import { color, type Io } from "./io.js";

/** A problem that stops a command, already phrased for the user. */
export class CommandError extends Error {}

/** Loads, validates and compiles; prints config errors (all of them) and throws when any. */
export async function loadPlans(paths: string[], io: Io, only?: string[]): Promise<SyncPlan[]> {
  const result = await loadActivations(paths.length ? paths : ["activations"], { cwd: io.cwd });
  const errors = result.issues.filter((i) => i.severity === "error");
  if (errors.length > 0) {
    const c = color(io);
    for (const issue of errors)
      io.stderr.write(
        `${c.bold(`${issue.file}${issue.line ? `:${issue.line}:${issue.column}` : ""}`)} ${c.red("error")} ${describeIssue(issue)}\n`,
      );
    throw new CommandError(
      `${errors.length} configuration error${errors.length === 1 ? "" : "s"}: nothing was run (see \`ferry validate\`)`,
    );
  }
  const plans: SyncPlan[] = [];
  for (const loaded of result.activations) {
    if (only && !only.includes(loaded.activation.name)) continue;
    try {
      plans.push(compile(loaded, io.env));
    } catch (error) {
      if (error instanceof CompileError) throw new CommandError(`${error.file}: ${error.message}`);
      throw error;
    }
  }
  if (only) {
    const missing = only.filter((name) => !plans.some((p) => p.activation === name));
    if (missing.length)
      throw new CommandError(`no activation named ${missing.map((m) => `"${m}"`).join(", ")} in ${paths.join(" ") || "activations"}`);
  }
  return plans;
}

/** Warehouses opened by a command, one per URL, closed together. */
export class Connections {
  private readonly warehouses = new Map<string, Warehouse>();
  private readonly clients = new Map<string, TikTokClient>();
  constructor(private readonly io: Io) {}

  warehouse(plan: SyncPlan): Warehouse {
    const url = this.io.env[plan.warehouse.urlEnv];
    if (!url) {
      throw new CommandError(
        `${plan.activation}: the environment variable ${plan.warehouse.urlEnv} (warehouse "${plan.warehouse.name}") is not set; it holds the connection URL, e.g. postgres://user@host/db or sqlite:./warehouse.db`,
      );
    }
    let warehouse = this.warehouses.get(url);
    if (!warehouse) this.warehouses.set(url, (warehouse = connect(url)));
    return warehouse;
  }

  tiktok(plan: SyncPlan, onRetry?: Parameters<typeof createTikTokClient>[0]["onRetry"]): TikTokClient {
    const token = this.io.env[plan.destination.accessTokenEnv];
    if (!token) {
      throw new CommandError(
        `${plan.activation}: the environment variable ${plan.destination.accessTokenEnv} is not set; it holds the TikTok access token (destination.access_token_env)`,
      );
    }
    const baseUrl = this.io.env["TIKTOK_API_BASE_URL"] || DEFAULT_BASE_URL;
    const key = `${baseUrl}\n${token}`;
    let client = this.clients.get(key);
    if (!client) this.clients.set(key, (client = createTikTokClient({ baseUrl, accessToken: token, ...(onRetry ? { onRetry } : {}) })));
    return client;
  }

  async close(): Promise<void> {
    await Promise.all([...this.warehouses.values()].map((w) => w.close()));
    await Promise.all([...this.clients.values()].map((c) => c.close()));
  }
}

export const number = (n: number) => n.toLocaleString("en-US");
export const duration = (ms: number) =>
  ms < 1000
    ? `${ms} ms`
    : ms < 120_000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
