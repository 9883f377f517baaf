export { connect } from "./connect.js";
export type {
  AckedRow,
  AckLog,
  ConnectOptions,
  RejectedRow,
  RejectionRecord,
  Remembered,
  Row,
  RowChunk,
  RunRecord,
  StateStore,
  StateSummary,
  Warehouse,
} from "./contract.js";
export type { Dialect, DialectName } from "./dialect.js";
export { DIALECTS, dialectFor } from "./dialects.js";
export type { Driver } from "./driver.js";
export { redact, WarehouseError, type WarehouseErrorCode } from "./errors.js";
export { qualifiedState, relationName, selectedColumns, type Extraction, type Relation } from "./sql/extraction.js";
export { renderNewRowsSql, type Strategy } from "./sql/render.js";
