import { warehouseConformance } from "@ferry/testkit/conformance";
import { describeWarehouses } from "@ferry/testkit/warehouses";

// The adapter contract against a real BigQuery: runs when FERRY_TEST_BIGQUERY_URL is set (README,
// Warehouses); skipped otherwise, never faked.
describeWarehouses(["bigquery"], warehouseConformance);
