export { activationYaml, DBT_SHOP, writeDbtShopManifest } from "./fixtures.js";
export { planFor } from "./plans.js";
export { runFixture, type RunFixture } from "./run-fixture.js";
export {
  categoryOf,
  createOrders,
  expectedSent,
  insertOrders,
  ORDER_CATEGORIES,
  orderRow,
  rawEmailOf,
  rawPhoneOf,
  SENT_CATEGORIES,
  type OrderCategory,
} from "./orders.js";
export { SEED, seedNote } from "./seed.js";
export { testdir } from "./testdir.js";
export { ALL_WAREHOUSES, createTempWarehouse, describeWarehouses, type TempWarehouse, type WarehouseKind } from "./warehouses.js";
export { startGitHubStandIn, type GitHubStandIn, type StandInIssue } from "./github.js";
