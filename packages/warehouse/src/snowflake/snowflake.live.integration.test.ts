import { warehouseConformance } from "@ferry/testkit/conformance";
import { describeWarehouses } from "@ferry/testkit/warehouses";

// The adapter contract against a real Snowflake: runs when FERRY_TEST_SNOWFLAKE_URL is set (README,
// Warehouses); skipped otherwise, never faked.
describeWarehouses(["snowflake"], warehouseConformance);
