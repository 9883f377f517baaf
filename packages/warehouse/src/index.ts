export { connect, type ConnectOptions, type Row, type Warehouse } from "./connect.js";
export { DIALECTS, dialectFor, type Dialect, type DialectName } from "./dialect.js";
export { redact, WarehouseError, type WarehouseErrorCode } from "./errors.js";
export {
  PK_COLUMN,
  probeOf,
  qualifiedState,
  relationName,
  rememberedOf,
  renderNewRowsSql,
  selectedColumns,
  type Extraction,
  type Relation,
} from "./sql.js";
export type { AckedRow, RejectedRow, RejectionRecord, RunRecord, StateStore, StateSummary } from "./state.js";
