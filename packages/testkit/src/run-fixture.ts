import { createTikTokClient, type TikTokClient } from "@ferry/tiktok";
import { startSandbox, type Sandbox } from "@ferry/tiktok-sandbox";
import { connect, type Warehouse } from "@ferry/warehouse";
import { afterEach, beforeEach } from "vitest";
import { createTempWarehouse, type TempWarehouse, type WarehouseKind } from "./warehouses.js";

export interface RunFixture {
  temp: TempWarehouse;
  warehouse: Warehouse;
  sandbox: Sandbox;
  /** A client of the sandbox with millisecond backoff, so retries cost tests no time. */
  tiktok: TikTokClient;
}

/**
 * What a run needs, made fresh for each test of the suite that calls it: a temporary warehouse
 * of `kind` (seeded by `seed`), the sandbox and a client of it; closed and dropped after.
 */
export function runFixture(kind: WarehouseKind, seed: (warehouse: Warehouse) => Promise<void> = async () => {}): RunFixture {
  const fx = {} as RunFixture;
  beforeEach(async () => {
    fx.temp = await createTempWarehouse(kind);
    fx.warehouse = connect(fx.temp.url);
    await seed(fx.warehouse);
    fx.sandbox = await startSandbox();
    fx.tiktok = createTikTokClient({ baseUrl: fx.sandbox.url, accessToken: fx.sandbox.token, backoff: { baseMs: 1, maxMs: 10 } });
  });
  afterEach(async () => {
    await fx.tiktok.close();
    await fx.sandbox.close();
    await fx.warehouse.close();
    await fx.temp.drop();
  });
  return fx;
}
