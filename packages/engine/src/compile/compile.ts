import { createHash } from "node:crypto";
import type { EventSpec, LoadedActivation, Mapping } from "@ferry/schema";
import { scheduleToCron } from "@ferry/schema";
import { DEFAULT_IN_FLIGHT, PII_FIELDS, TIKTOK_FIELDS } from "@ferry/tiktok";
import { dialectFor, renderNewRowsSql, type DialectName, type Extraction, type Relation } from "@ferry/warehouse";

/** Everything a run needs, resolved and serialisable: what `ferry plan` shows and reviewers diff. */
/** The event as a reviewer reads it: the name, or where each row's comes from. */
export const eventLabel = (event: EventSpec): string => (typeof event === "string" ? event : `the name in column ${event.column}`);

export interface SyncPlan {
  planVersion: 1;
  activation: string;
  file: string;
  /** Where the fields naming source columns are written in `file` (see LoadedActivation.positions). */
  positions?: Record<string, { line: number; column: number }>;
  description?: string;
  /** Hash of everything below: equal hashes, equal behaviour. */
  contentHash: string;
  /** One event name for every row, or `{ column }` for each row's own. */
  event: EventSpec;
  destination: {
    advertiserId: string;
    eventSetId?: string;
    accessTokenEnv: string;
    testEventCode?: string;
    batchSize: number;
    maxEventAgeDays: number;
    /** Requests in flight at most (the activation's, else the project's, else 4). */
    requestsInFlight: number;
    /** Requests a second at most, when set. */
    requestsPerSecond?: number;
  };
  warehouse: {
    name: string;
    /** The environment variable holding the connection URL (the URL itself is never in a plan). */
    urlEnv: string;
    /** Known when that variable is set at compile time. */
    dialect: DialectName | null;
    stateSchema: string;
  };
  /** The segment; for a dbt model, `text` is the model's name and `relation` where dbt builds it. */
  source:
    | { kind: "query"; text: string }
    | { kind: "table"; text: string }
    | { kind: "dbt_model"; text: string; uniqueId: string; relation: Relation };
  extraction: Extraction;
  /** Digest of what decides a row's event: a rejection remembered under another mapping is rechecked. */
  mappingDigest: string;
  /** The new-rows SQL, when the dialect is known. */
  sql: { text: string } | null;
  /** Field by field: where the value comes from, where it lands, and how it is sent. */
  mapping: {
    field: string;
    from: { column: string } | { const: string | number | boolean };
    pii: boolean;
    target: string;
    sentAs: string;
  }[];
  mappingSpec: Mapping;
  phoneDefaultRegion?: string;
  /** An invalid optional property: send the event without it, or reject the row. */
  onInvalidProperty: "send_without" | "reject_row";
  schedule: { expression: string; cron: string };
  warnings: {
    enabled: boolean;
    maxRejectedPercent: number;
    maxDroppedPercent: number;
    /** Least share of sent events carrying each mapped identifier, in percent. */
    minIdentifierCoverage?: Partial<Record<"email" | "phone" | "external_id", number>>;
    labels: string[];
  };
}

export class CompileError extends Error {
  constructor(
    readonly file: string,
    readonly code: "unresolved_dbt_model" | "unknown_warehouse",
    message: string,
  ) {
    super(message);
    this.name = "CompileError";
  }
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** JSON with sorted keys, so equal content always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as object).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

type Activation = LoadedActivation["activation"];
type Project = LoadedActivation["project"]["project"];

/** What the activation reads: a query, a table, or the relation dbt built for its model. */
function sourceOf(loaded: LoadedActivation): SyncPlan["source"] {
  const a = loaded.activation;
  if (a.source.dbt_model === undefined) {
    return a.source.query !== undefined ? { kind: "query", text: a.source.query } : { kind: "table", text: a.source.table! };
  }
  // The loader resolves models through the manifest; without one there is no relation to read.
  if (!loaded.dbt) {
    throw new CompileError(
      loaded.file,
      "unresolved_dbt_model",
      `dbt model "${a.source.dbt_model}" needs the dbt manifest to run: run \`dbt parse\` first, or set dbt.manifest_path in ferry.yml (or DBT_MANIFEST_PATH)`,
    );
  }
  const { database, schema, name, uniqueId, quoted } = loaded.dbt;
  return { kind: "dbt_model", text: a.source.dbt_model, uniqueId, relation: { database, schema, name, quoted } };
}

/** The mapped fields in TikTok's order, each with where it lands and whether it is personal data. */
const mappingOf = (a: Activation): SyncPlan["mapping"] =>
  TIKTOK_FIELDS.flatMap((f) => {
    const from = a.mapping[f.name];
    if (from === undefined) return [];
    const source = typeof from === "string" ? { column: from } : { const: from.const };
    return [{ field: f.name, from: source, pii: PII_FIELDS.has(f.name), target: f.target, sentAs: f.description }];
  });

/** The source columns a run reads: the event's, the mapped ones, the phone's region. */
const columnsOf = (a: Activation, mapping: SyncPlan["mapping"]): string[] => [
  ...new Set([
    ...(typeof a.event === "object" ? [a.event.column] : []),
    ...mapping.flatMap((m) => ("column" in m.from ? [m.from.column] : [])),
    ...(a.mapping.phone_region ? [a.mapping.phone_region] : []),
  ]),
];

/** The coverage each mapped identifier must reach: one percentage applies to each, an object names its own. */
function coverageOf(a: Activation): Record<string, number> | undefined {
  const min = a.warnings.min_identifier_coverage_percent;
  if (min === undefined) return undefined;
  return Object.fromEntries(
    (["email", "phone", "external_id"] as const).flatMap((id) => {
      const at = typeof min === "number" ? min : min[id];
      return a.mapping[id] !== undefined && at !== undefined ? [[id, at]] : [];
    }),
  );
}

/** What decides whether a row is sent: a rejection remembered under other settings is rechecked. */
const mappingDigestOf = (a: Activation, region: string | undefined): string =>
  sha256(
    canonicalJson({
      mapping: a.mapping,
      // Only a column: the digests of activations with one name for every row stay as they were.
      ...(typeof a.event === "object" ? { event: a.event } : {}),
      region: region ?? null,
      maxAge: a.destination.max_event_age_days,
      ...(a.on_invalid_property === "reject_row" ? { onInvalidProperty: a.on_invalid_property } : {}),
    }),
  ).slice(0, 32);

function destinationOf(a: Activation, project: Project): SyncPlan["destination"] {
  const rps = a.destination.requests_per_second ?? project.defaults.requests_per_second;
  return {
    advertiserId: a.destination.advertiser_id,
    ...(a.destination.event_set_id ? { eventSetId: a.destination.event_set_id } : {}),
    accessTokenEnv: a.destination.access_token_env,
    ...(a.destination.test_event_code ? { testEventCode: a.destination.test_event_code } : {}),
    batchSize: a.destination.batch_size,
    maxEventAgeDays: a.destination.max_event_age_days,
    requestsInFlight: a.destination.requests_in_flight ?? project.defaults.requests_in_flight ?? DEFAULT_IN_FLIGHT,
    ...(rps !== undefined ? { requestsPerSecond: rps } : {}),
  };
}

function warningsOf(a: Activation, project: Project): SyncPlan["warnings"] {
  const coverage = coverageOf(a);
  return {
    enabled: a.warnings.enabled,
    maxRejectedPercent: a.warnings.max_rejected_percent,
    maxDroppedPercent: a.warnings.max_dropped_percent,
    ...(coverage ? { minIdentifierCoverage: coverage } : {}),
    labels: project.defaults.warnings.github_issue.labels,
  };
}

/**
 * Compiles a validated activation and its project into a SyncPlan. Pure: the environment is an
 * input (only to learn the warehouse dialect; no value from it enters the plan).
 */
export function compile(loaded: LoadedActivation, env: Readonly<Record<string, string | undefined>> = {}): SyncPlan {
  const { activation: a, project } = loaded;
  const warehouseName = a.source.warehouse;
  const configured = project.project.warehouses[warehouseName];
  if (!configured && warehouseName !== "default") {
    throw new CompileError(
      loaded.file,
      "unknown_warehouse",
      `warehouse "${warehouseName}" is not defined in ${project.file ?? "ferry.yml"}`,
    );
  }
  const urlEnv = configured?.url_env ?? "FERRY_WAREHOUSE_URL";
  const stateSchema = configured?.state_schema ?? "ferry";
  const source = sourceOf(loaded);
  const mapping = mappingOf(a);
  const region = a.phone_default_region ?? project.project.defaults.phone_default_region;
  const extraction: Extraction = {
    activation: a.name,
    source:
      source.kind === "dbt_model"
        ? { relation: source.relation }
        : source.kind === "query"
          ? { query: source.text }
          : { table: source.text },
    primaryKey: typeof a.source.primary_key === "string" ? [a.source.primary_key] : a.source.primary_key,
    columns: columnsOf(a, mapping),
    stateSchema,
  };
  // The dialect, and so the SQL `ferry plan` shows, only when the URL is known.
  const url = env[urlEnv];
  const dialect = url ? dialectFor(url) : undefined;

  const body: Omit<SyncPlan, "contentHash"> = {
    planVersion: 1,
    activation: a.name,
    file: loaded.file,
    ...(loaded.positions ? { positions: loaded.positions } : {}),
    ...(a.description ? { description: a.description } : {}),
    event: a.event,
    destination: destinationOf(a, project.project),
    warehouse: { name: warehouseName, urlEnv, dialect: dialect?.name ?? null, stateSchema },
    source,
    extraction,
    mappingDigest: mappingDigestOf(a, region),
    sql: dialect ? { text: renderNewRowsSql(dialect, extraction) } : null,
    mapping,
    mappingSpec: a.mapping,
    ...(region ? { phoneDefaultRegion: region } : {}),
    onInvalidProperty: a.on_invalid_property,
    schedule: { expression: a.schedule, cron: scheduleToCron(a.schedule) },
    warnings: warningsOf(a, project.project),
  };
  // The file path and the dialect-specific SQL are where, not what: they stay out of the hash.
  const { file: _file, positions: _positions, sql: _sql, warehouse, ...hashed } = body;
  const contentHash = sha256(canonicalJson({ ...hashed, warehouse: { ...warehouse, dialect: null } })).slice(0, 16);
  return { ...body, contentHash };
}

/**
 * Why a warehouse URL cannot be used (an unknown scheme, with the list of known ones), or
 * undefined. The message never repeats the URL, which may hold a password.
 */
export function checkWarehouseUrl(url: string): string | undefined {
  try {
    dialectFor(url);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
