import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
/** A valid activation file, with overrides by YAML line replacement kept out: build it whole. */
export function activationYaml(
  options: {
    name?: string;
    query?: string;
    table?: string;
    dbtModel?: string;
    primaryKey?: string | string[];
    event?: string;
    mapping?: Record<string, string | { const: string | number | boolean }>;
    warehouse?: string;
    eventSetId?: string | null;
    advertiserId?: string;
    batchSize?: number;
    maxRejectedPercent?: number;
    warningsEnabled?: boolean;
    testEventCode?: string;
    schedule?: string;
    onInvalidProperty?: "send_without" | "reject_row";
    /** warnings.min_identifier_coverage_percent */
    minIdentifierCoverage?: number;
  } = {},
): string {
  const mapping = options.mapping ?? {
    event_time: "purchased_at",
    email: "email",
    phone: "phone",
    value: "amount",
    currency: "currency",
    order_id: "order_id",
  };
  const pk = options.primaryKey ?? "order_id";
  const lines = [
    "version: 1",
    `name: ${options.name ?? "pos-purchases"}`,
    "destination:",
    "  type: tiktok-offline-conversions",
    `  advertiser_id: "${options.advertiserId ?? "7000000000000000001"}"`,
    ...(options.eventSetId === null ? [] : [`  event_set_id: "${options.eventSetId ?? "7100000000000000001"}"`]),
    "  access_token_env: TIKTOK_ACCESS_TOKEN",
    ...(options.testEventCode ? [`  test_event_code: ${options.testEventCode}`] : []),
    ...(options.batchSize ? [`  batch_size: ${options.batchSize}`] : []),
    "source:",
    ...(options.warehouse ? [`  warehouse: ${options.warehouse}`] : []),
    ...(options.dbtModel
      ? [`  dbt_model: ${options.dbtModel}`]
      : options.table
        ? [`  table: ${options.table}`]
        : [`  query: ${JSON.stringify(options.query ?? "select * from pos_orders")}`]),
    `  primary_key: ${JSON.stringify(pk)}`,
    `event: ${options.event ?? "CompletePayment"}`,
    "mapping:",
    ...Object.entries(mapping).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`),
    ...(options.onInvalidProperty ? [`on_invalid_property: ${options.onInvalidProperty}`] : []),
    `schedule: ${JSON.stringify(options.schedule ?? "0 6 * * *")}`,
    "warnings:",
    `  enabled: ${options.warningsEnabled ?? true}`,
    `  max_rejected_percent: ${options.maxRejectedPercent ?? 5}`,
    ...(options.minIdentifierCoverage !== undefined ? [`  min_identifier_coverage_percent: ${options.minIdentifierCoverage}`] : []),
  ];
  return `${lines.join("\n")}\n`;
}

/** A small dbt project (see its README) and its compiled manifest, for the dbt_model tests. */
export const DBT_SHOP = {
  dir: new URL("../fixtures/dbt-shop/", import.meta.url).pathname,
  manifest: new URL("../fixtures/dbt-shop/target/manifest.json", import.meta.url).pathname,
};

/**
 * Writes the dbt-shop manifest to `<dir>/target/manifest.json` (where Ferry looks by default),
 * with the `pos_purchases` model built at `at`: the manifest dbt would compile for the test's
 * warehouse.
 */
export async function writeDbtShopManifest(dir: string, at: { database: string; schema: string }): Promise<void> {
  const manifest = JSON.parse(await readFile(DBT_SHOP.manifest, "utf8")) as { nodes: Record<string, Record<string, unknown>> };
  Object.assign(manifest.nodes["model.shop.pos_purchases"]!, at);
  await mkdir(path.join(dir, "target"), { recursive: true });
  await writeFile(path.join(dir, "target/manifest.json"), JSON.stringify(manifest));
}
