export { canonicalJson, compile, CompileError, type SyncPlan } from "./compile/compile.js";
export { preview, type PlanPreview } from "./preview.js";
export type { RejectedSample, RunEvent, RunReport, RunStatus, Warning, WarningCode } from "./run/report.js";
export { run, type RunDeps, type RunOptions } from "./run/run.js";
export { deriveWarnings } from "./warnings/warnings.js";
