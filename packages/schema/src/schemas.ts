import { z } from "zod";
import { DEPRECATED_EVENT_NAMES, EVENT_NAMES } from "./events.js";
import { SCHEDULE_KEYWORDS, scheduleProblem } from "./schedule.js";

// Messages never repeat the offending value: a config value may be a secret pasted by mistake.

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** A field that holds the NAME of an environment variable; a literal secret is refused. */
function envName(what: string, example: string) {
  return z
    .string({ error: (iss) => (iss.input === undefined ? undefined : `must be the name of an environment variable, e.g. ${example}`) })
    .superRefine((value, ctx) => {
      const looksLikeSecret =
        value.includes("://") ||
        /^[0-9a-fA-F]{24,}$/.test(value) ||
        (value.length >= 24 && !value.includes("_")) ||
        (/[a-z]/.test(value) && /\d/.test(value) && value.length >= 16);
      if (looksLikeSecret) {
        ctx.addIssue({
          code: "custom",
          message: `looks like a ${what} itself, not the name of an environment variable; the value was not printed`,
          params: { ferry: "secret_literal", hint: `store it in an environment variable (e.g. ${example}) and write that name here` },
        });
      } else if (!ENV_NAME.test(value)) {
        ctx.addIssue({
          code: "custom",
          message: "must be an environment variable name in upper case (letters, digits, underscores)",
          params: { ferry: "invalid_env_name", hint: `e.g. ${example}` },
        });
      }
    });
}

/** TikTok IDs exceed 2^53, so they must be strings; a YAML number has already lost digits. */
function digitId(description: string) {
  return z
    .string({
      error: (iss) =>
        typeof iss.input === "number" || typeof iss.input === "bigint"
          ? "must be a quoted string of digits: as a YAML number a 19-digit ID loses precision"
          : iss.input === undefined
            ? undefined
            : "must be a quoted string of digits",
    })
    .regex(/^\d{1,20}$/, { error: "must contain digits only (up to 20)" })
    .meta({ description, examples: ["7000000000000000001"] });
}

const column = z.string().trim().min(1, { error: "a column name may not be empty" });
const columnRef = (description: string) => column.meta({ description });

/** A mapping target fed from a column or, for non-personal fields, a constant. */
function columnOrConst<T extends z.ZodType>(description: string, constant: T) {
  return z
    .union([column, z.strictObject({ const: constant })], {
      error: "must be a column name or { const: <value> }",
    })
    .meta({ description });
}

export const EventNameSchema = z.enum(EVENT_NAMES, { error: "must be one of TikTok's event names, or { column: <column> }" }).meta({
  description:
    "The TikTok event every row of the segment is sent as. " +
    Object.entries(DEPRECATED_EVENT_NAMES)
      .map(([name]) => `${name} is soft-deprecated.`)
      .join(" "),
});

/** The event: one name for every row, or each row's own from a column. */
export const EventSchema = z
  .union([EventNameSchema, z.strictObject({ column: columnRef("Column holding each row's TikTok event name.") })], {
    error: "must be one of TikTok's event names, or { column: <column> }",
  })
  .meta({
    description:
      "The TikTok event: one name for every row (e.g. CompletePayment), or { column: <column> } for each row's own; a row whose name TikTok does not accept is rejected (invalid_event).",
  });

const CONTENT_TYPES = ["product", "product_group"] as const;
/** The longest description or query sent (the mapper drops a longer one from a column). */
export const TEXT_MAX = 1000;
const text = z
  .string()
  .trim()
  .min(1)
  .max(TEXT_MAX, { error: `may hold at most ${TEXT_MAX} characters` });

export const MappingSchema = z
  .strictObject({
    event_time: columnRef(
      "Column holding when the conversion happened (timestamp, ISO-8601 text or epoch seconds/milliseconds; naive times are UTC). Required.",
    ),
    email: columnRef("Column holding the customer's email; sent only as SHA-256 of the trimmed, lower-cased value.").optional(),
    phone: columnRef("Column holding the customer's phone; normalised to E.164 and sent only as SHA-256.").optional(),
    external_id: columnRef("Column holding your own customer identifier; sent only as SHA-256 of the trimmed value.").optional(),
    value: columnOrConst("Monetary value of the conversion (0 is a value).", z.number().nonnegative()).optional(),
    currency: columnOrConst(
      "ISO 4217 currency code, e.g. EUR.",
      z.string().regex(/^[A-Z]{3}$/, { error: "must be an ISO 4217 code such as EUR" }),
    ).optional(),
    num_items: columnOrConst("Number of items in the conversion.", z.number().int().nonnegative()).optional(),
    order_id: columnRef("Column holding the order identifier.").optional(),
    shop_id: columnOrConst("Store or shop identifier.", z.string().min(1)).optional(),
    event_id: columnRef(
      "Column holding your own id for the conversion (e.g. the one your pixel sends), so TikTok deduplicates across sources; trimmed, at most 255 characters, stable for a primary key. A row without a valid one is rejected (invalid_event_id). Default: Ferry's id from the activation and the primary key.",
    ).optional(),
    contents: columnRef(
      "Column holding the items: a JSON/JSONB array or JSON text of objects with content_id, content_type, content_name, content_category, brand, price, quantity. Other keys are left out and counted.",
    ).optional(),
    content_type: columnOrConst(
      "product or product_group.",
      z.enum(CONTENT_TYPES, { error: "must be product or product_group" }),
    ).optional(),
    description: columnOrConst("A description of the conversion.", text).optional(),
    query: columnOrConst("The search string that led to the conversion.", text).optional(),
    limited_data_use: columnOrConst(
      "TikTok's limited data use (restricted data processing) for the event: a boolean column, or { const: true }.",
      z.boolean(),
    ).optional(),
    phone_region: columnRef(
      "Column holding each row's ISO 3166 two-letter country (e.g. a store's), to read its national phone numbers; phone_default_region applies where it is empty.",
    ).optional(),
  })
  .superRefine((mapping, ctx) => {
    if (mapping.email === undefined && mapping.phone === undefined) {
      ctx.addIssue({
        code: "custom",
        message: "map at least one of email / phone: TikTok matches offline conversions on them",
        params: { ferry: "no_identifier", hint: "add `email: <column>` or `phone: <column>` under mapping" },
      });
    }
  })
  .meta({ description: "Destination field → source column. Unmapped columns are never sent." });

export const SourceSchema = z
  .strictObject({
    warehouse: z
      .string()
      .min(1)
      .default("default")
      .meta({ description: 'A connection named in ferry.yml (default: "default", i.e. FERRY_WAREHOUSE_URL).' }),
    query: z.string().trim().min(1).optional().meta({ description: "A SQL query whose every row is one conversion." }),
    table: z
      .string()
      .trim()
      .min(1)
      .optional()
      .meta({ description: "A table or view (optionally schema.table) whose every row is one conversion." }),
    dbt_model: z.string().trim().min(1).optional().meta({ description: "A dbt model, resolved through the dbt manifest." }),
    primary_key: z
      .union([column, z.array(column).min(1, { error: "list at least one column" })], {
        error: "must be a column name or a list of column names",
      })
      .meta({ description: "Column(s) identifying a conversion for ever; keys the sync state and the event_id." }),
  })
  .superRefine((source, ctx) => {
    const given = (["query", "table", "dbt_model"] as const).filter((k) => source[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message:
          given.length === 0
            ? "give the segment as one of query / table / dbt_model"
            : `give exactly one of query / table / dbt_model (found ${given.join(" and ")})`,
        params: { ferry: "source_count" },
      });
    }
  });

const requestsInFlight = z.number().int().min(1).max(32).meta({
  description:
    "Requests to TikTok in flight at most (default 8): Ferry halves them when TikTok throttles and grows them back while answers are clean. Over ferry.yml's default; --concurrency overrides both.",
});
const requestsPerSecond = z
  .number()
  .positive()
  .max(1000)
  .meta({ description: "Requests to TikTok a second at most (TikTok allows 1,000): paces them where a limit is known. Unset: no cap." });

export const DestinationSchema = z.strictObject({
  type: z
    .literal("tiktok-offline-conversions", { error: "must be tiktok-offline-conversions" })
    .meta({ description: "The destination kind." }),
  advertiser_id: digitId("TikTok Ads advertiser ID, as a quoted string."),
  event_set_id: digitId("Offline event set ID, as a quoted string; resolved from the advertiser when absent.").optional(),
  access_token_env: envName("token", "TIKTOK_ACCESS_TOKEN").meta({
    description: "NAME of the environment variable holding the TikTok access token.",
  }),
  test_event_code: z.string().trim().min(1).max(64).optional().meta({ description: "Events show in TikTok's test tool only." }),
  batch_size: z.number().int().min(1).max(1000).default(1000).meta({ description: "Events per request (TikTok accepts up to 1,000)." }),
  requests_in_flight: requestsInFlight.optional(),
  requests_per_second: requestsPerSecond.optional(),
  max_event_age_days: z
    .number()
    .int()
    .min(1)
    .max(3650)
    .default(28)
    .meta({ description: "Rows older than this are not sent (TikTok's longest attribution window is 28 days)." }),
});

export const WarningsSchema = z.strictObject({
  enabled: z.boolean().default(true).meta({ description: "Raise warnings (GitHub issues) for this activation." }),
  max_rejected_percent: z
    .number()
    .min(0)
    .max(100)
    .default(5)
    .meta({ description: "Warn when more rows than this share are rejected in a run." }),
  max_dropped_percent: z
    .number()
    .min(0)
    .max(100)
    .default(5)
    .meta({ description: "Warn when more events than this share were sent with an invalid optional property left out." }),
  min_identifier_coverage_percent: z
    .union(
      [
        z.number().min(0).max(100),
        z.strictObject({
          email: z.number().min(0).max(100).optional(),
          phone: z.number().min(0).max(100).optional(),
          external_id: z.number().min(0).max(100).optional(),
        }),
      ],
      { error: "must be a percentage, or { email, phone, external_id } percentages" },
    )
    .optional()
    .meta({
      description:
        "Warn when fewer of a run's sent events than this share carried a mapped identifier: one percentage for each mapped identifier, or one per identifier ({ email: 90, phone: 40 }). Unset: no such warning.",
    }),
});

const regionCode = z
  .string()
  .regex(/^[A-Z]{2}$/, { error: "must be an ISO 3166 two-letter country code such as FR" })
  .meta({ description: "How to read national phone numbers written without a country code (ISO 3166 alpha-2)." });

const scheduleSchema = z
  .string()
  .superRefine((value, ctx) => {
    const problem = scheduleProblem(value);
    if (problem)
      ctx.addIssue({ code: "custom", message: problem, params: { ferry: "invalid_schedule", hint: 'e.g. "0 6 * * *" or daily' } });
  })
  .meta({
    description: `Cron expression (UTC) or one of ${Object.keys(SCHEDULE_KEYWORDS).join(", ")}. Each run sends only new conversions.`,
    examples: ["0 6 * * *", ...Object.keys(SCHEDULE_KEYWORDS)],
  });

export const ActivationSchema = z
  .strictObject({
    $schema: z.string().optional().meta({ description: "JSON Schema reference for editors." }),
    version: z.literal(1, { error: "must be 1 (the only activation format version)" }).meta({ description: "Activation format version." }),
    name: z
      .string()
      .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { error: "must be lowercase-kebab (a-z, 0-9 and single dashes)" })
      .max(64)
      .meta({ description: "Unique in the project; keys the sync state. Renaming starts a new sync history." }),
    description: z.string().optional().meta({ description: "What this activation sends, for reviewers." }),
    destination: DestinationSchema,
    source: SourceSchema,
    event: EventSchema,
    mapping: MappingSchema,
    phone_default_region: regionCode.optional().meta({
      description: "How to read national phone numbers without a country code, over ferry.yml's default (ISO 3166 alpha-2).",
    }),
    on_invalid_property: z
      .enum(["send_without", "reject_row"], { error: "must be send_without or reject_row" })
      .default("send_without")
      .meta({
        description:
          "An invalid optional property (value, currency, num_items, order_id, shop_id, external_id, contents, content_type, description, query, limited_data_use): send the event without it, counted (send_without, the default), or reject the row (reject_row).",
      }),
    schedule: scheduleSchema,
    warnings: WarningsSchema.prefault({}),
  })
  .meta({
    title: "Ferry activation",
    description: "One TikTok offline-conversion activation: every row of the segment is one conversion.",
  });

export const WarehouseSchema = z.strictObject({
  url_env: envName("connection URL", "WAREHOUSE_URL").meta({
    description: "NAME of the environment variable holding the connection URL (postgres://…, mysql://…, sqlite:./file.db).",
  }),
  state_schema: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "must be a plain SQL identifier (letters, digits, underscores)" })
    .max(48)
    .default("ferry")
    .meta({ description: "Where Ferry keeps its sync state inside that warehouse." }),
});

export const ProjectSchema = z
  .strictObject({
    $schema: z.string().optional(),
    version: z.literal(1, { error: "must be 1" }),
    warehouses: z
      .record(z.string().regex(/^[a-z0-9_-]+$/, { error: "warehouse names are lowercase letters, digits, - and _" }), WarehouseSchema)
      .default({})
      .meta({ description: "Named warehouse connections." }),
    dbt: z
      .strictObject({
        manifest_path: z
          .string()
          .min(1)
          .optional()
          .meta({ description: "dbt's manifest, relative to this file (default ../target/manifest.json, or DBT_MANIFEST_PATH)." }),
        exposures: z
          .strictObject({
            path: z
              .string()
              .min(1)
              .default("../models/ferry_exposures.yml")
              .meta({ description: "Where `ferry dbt exposures` writes, relative to this file." }),
            owner: z
              .strictObject({ name: z.string().min(1).optional(), email: z.string().min(3).optional() })
              .default({ name: "Ferry" })
              .meta({ description: "The exposures' owner in dbt docs." }),
          })
          .prefault({}),
      })
      .optional()
      .meta({ description: "The dbt project whose models activations read (source.dbt_model)." }),
    defaults: z
      .strictObject({
        phone_default_region: regionCode.optional(),
        requests_in_flight: requestsInFlight.optional(),
        requests_per_second: requestsPerSecond.optional(),
        warnings: z
          .strictObject({
            github_issue: z
              .strictObject({ labels: z.array(z.string().min(1)).default([]).meta({ description: "Labels of the warning issues." }) })
              .prefault({}),
          })
          .prefault({}),
      })
      .prefault({}),
  })
  .meta({ title: "Ferry project", description: "Warehouse connections and project defaults (activations/ferry.yml)." });

export type Activation = z.output<typeof ActivationSchema>;
export type ActivationInput = z.input<typeof ActivationSchema>;
export type Project = z.output<typeof ProjectSchema>;
export type Mapping = z.output<typeof MappingSchema>;
export type MappingValue = NonNullable<Mapping["value"]>;
export type EventSpec = z.output<typeof EventSchema>;
export type CoverageThresholds = NonNullable<z.output<typeof WarningsSchema>["min_identifier_coverage_percent"]>;
export type Destination = z.output<typeof DestinationSchema>;
export type Source = z.output<typeof SourceSchema>;

export const DEFAULT_PROJECT: Project = ProjectSchema.parse({ version: 1 });
