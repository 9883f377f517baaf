import { warehouseConformance } from "@ferry/testkit/conformance";
import { ALL_WAREHOUSES, describeWarehouses } from "@ferry/testkit/warehouses";

// The adapter contract, on every warehouse CI runs (the cloud warehouses run it live: see
// bigquery/ and snowflake/).
describeWarehouses(ALL_WAREHOUSES, warehouseConformance);
