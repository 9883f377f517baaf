export { checkWarehouseUrl, compile, CompileError, eventLabel, type SyncPlan } from "./compile/compile.js";
export { coverageText, namesText, type IdentifierCounts } from "./coverage.js";
export { preview, type PlanPreview } from "./preview.js";
export { listRejections, type RejectedRowListing } from "./rejections.js";
export {
  runFailed,
  type RejectedSample,
  type RunEvent,
  type RunReport,
  type RunStatus,
  type Warning,
  type WarningCode,
} from "./run/report.js";
export { run, type RunDeps, type RunOptions } from "./run/run.js";
export { deriveWarnings, droppedList } from "./warnings/warnings.js";
export { describeFailure, explainColumnError, type FailureContext, type FailureKind } from "./failures.js";
export { diffPlans, type FieldChange, type PlanDiff } from "./compile/diff.js";
// Reason codes and their meaning, for whoever renders reports (the CLI, GitHub issues).
export { REJECT_REASONS, type RejectReason } from "@ferry/tiktok";
export { Connections, MissingEnvironmentError } from "./run/connections.js";
export { runPlans, type RunPlansOptions } from "./run/run-plans.js";
export { relationName, type Warehouse } from "@ferry/warehouse";
