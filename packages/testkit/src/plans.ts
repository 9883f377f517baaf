import { compile, type SyncPlan } from "@ferry/engine";
import { parseActivation, parseProject, type Project } from "@ferry/schema";
import { activationYaml } from "./fixtures.js";
import type { TempWarehouse } from "./warehouses.js";

/**
 * The plan of an activation file on a temporary warehouse: its project names the warehouse
 * "main" (URL from $WH), keeps the state in the warehouse's own state schema, and reads national
 * phone numbers as French unless `region` says otherwise (null: no project region).
 */
export function planFor(
  temp: TempWarehouse,
  yaml = activationYaml({ query: "select * from orders", batchSize: 100 }),
  region: string | null = "FR",
): SyncPlan {
  const parsed = parseActivation(yaml, "a.yml");
  const project = parseProject(
    `version: 1\nwarehouses:\n  main:\n    url_env: WH\n    state_schema: ${temp.stateSchema}\n${region ? `defaults:\n  phone_default_region: ${region}\n` : ""}`,
    "ferry.yml",
  );
  if (!parsed.ok || !project.ok) throw new Error("fixture must be valid");
  const activation = { ...parsed.value, source: { ...parsed.value.source, warehouse: "main" } };
  return compile({ file: "a.yml", activation, project: { file: "ferry.yml", project: project.value as Project } }, { WH: temp.url });
}
