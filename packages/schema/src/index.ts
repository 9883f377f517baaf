export type { DbtRelation } from "./dbt.js";
export { DEPRECATED_EVENT_NAMES, EVENT_NAMES, type EventName } from "./events.js";
export type { ConfigIssue, ParseResult } from "./issues.js";
export { jsonSchemas } from "./json-schema.js";
export { loadActivations, type LoadedActivation, type LoadedProject, type LoadResult } from "./load.js";
export { parseActivation, parseProject } from "./parse.js";
export { scheduleToCron } from "./schedule.js";
export {
  ActivationSchema,
  DEFAULT_PROJECT,
  ProjectSchema,
  TEXT_MAX,
  type Activation,
  type ActivationInput,
  type CoverageThresholds,
  type Destination,
  type EventSpec,
  type Mapping,
  type MappingValue,
  type Project,
  type Source,
} from "./schemas.js";
export { closest, nearest } from "./suggest.js";
