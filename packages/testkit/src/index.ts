export { activationYaml } from "./fixtures.js";
export { SEED, seedNote } from "./seed.js";
export { testdir } from "./testdir.js";
export { ALL_WAREHOUSES, createTempWarehouse, describeWarehouses, type TempWarehouse, type WarehouseKind } from "./warehouses.js";
