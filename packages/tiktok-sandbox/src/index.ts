export { checkEvents } from "./contract.js";
export {
  type AcceptedEvent,
  type FaultScript,
  type RecordedRequest,
  type Sandbox,
  type SandboxOptions,
  type SandboxStats,
} from "./types.js";
export { startSandbox } from "./sandbox.js";
