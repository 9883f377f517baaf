export { checkEvents } from "./contract.js";
export {
  startSandbox,
  type AcceptedEvent,
  type FaultScript,
  type RecordedRequest,
  type Sandbox,
  type SandboxOptions,
  type SandboxStats,
} from "./sandbox.js";
