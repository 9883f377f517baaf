import { createTikTokClient, DEFAULT_BASE_URL, type TikTokClient, type TikTokClientOptions } from "@ferry/tiktok";
import { connect, type Warehouse } from "@ferry/warehouse";
import type { SyncPlan } from "../compile/compile.js";

/** A required environment variable is not set; the message names it, never a value. */
export class MissingEnvironmentError extends Error {
  readonly kind = "config";
  readonly code = "missing_env";
  constructor(message: string) {
    super(message);
    this.name = "MissingEnvironmentError";
  }
}

/**
 * The warehouses and TikTok clients a command opens, from the environment variables its plans
 * name: one per URL or token, closed together.
 */
export class Connections {
  private readonly warehouses = new Map<string, Warehouse>();
  private readonly clients = new Map<string, TikTokClient>();
  constructor(
    private readonly env: Readonly<Record<string, string | undefined>>,
    private readonly onRetry?: TikTokClientOptions["onRetry"],
  ) {}

  warehouse(plan: SyncPlan): Warehouse {
    const url = this.env[plan.warehouse.urlEnv];
    if (!url) {
      throw new MissingEnvironmentError(
        `the environment variable ${plan.warehouse.urlEnv} (warehouse "${plan.warehouse.name}") is not set; it holds the connection URL, e.g. postgres://user@host/db or sqlite:./warehouse.db`,
      );
    }
    let warehouse = this.warehouses.get(url);
    if (!warehouse) this.warehouses.set(url, (warehouse = connect(url)));
    return warehouse;
  }

  /** A client for the plan's token, with `inFlight` connections (the requests a run keeps in flight) and its pace. */
  tiktok(plan: SyncPlan, inFlight: number = plan.destination.requestsInFlight): TikTokClient {
    const token = this.env[plan.destination.accessTokenEnv];
    if (!token) {
      throw new MissingEnvironmentError(
        `the environment variable ${plan.destination.accessTokenEnv} is not set; it holds the TikTok access token (destination.access_token_env)`,
      );
    }
    const baseUrl = this.env["TIKTOK_API_BASE_URL"] || DEFAULT_BASE_URL;
    const rps = plan.destination.requestsPerSecond;
    // One client per token and setting: its limits are what the activations using it asked for.
    const key = `${baseUrl}\n${token}\n${inFlight}\n${rps ?? ""}`;
    let client = this.clients.get(key);
    if (!client)
      this.clients.set(
        key,
        (client = createTikTokClient({
          baseUrl,
          accessToken: token,
          ...(this.onRetry ? { onRetry: this.onRetry } : {}),
          connections: inFlight,
          ...(rps !== undefined ? { requestsPerSecond: rps } : {}),
        })),
      );
    return client;
  }

  async close(): Promise<void> {
    await Promise.all([...this.warehouses.values()].map((w) => w.close()));
    await Promise.all([...this.clients.values()].map((c) => c.close()));
    this.warehouses.clear();
    this.clients.clear();
  }
}
