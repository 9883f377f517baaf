import { nearest } from "./suggest.js";

/** Where a dbt model lives in the warehouse, as the manifest records it. */
export interface DbtRelation {
  uniqueId: string;
  model: string;
  database: string | null;
  schema: string | null;
  /** The relation's name: the model's alias (its name unless configured otherwise). */
  name: string;
  materialized: string;
  /**
   * Which parts dbt quotes when it names the relation (its `quoting` config). An unquoted part
   * is folded by the warehouse: Snowflake upper-cases it, PostgreSQL lower-cases it.
   */
  quoted: { database: boolean; schema: boolean; identifier: boolean };
}

export type DbtResolution =
  | { ok: true; relation: DbtRelation }
  | {
      ok: false;
      code: "unknown_dbt_model" | "disabled_dbt_model" | "ephemeral_dbt_model" | "invalid_manifest";
      message: string;
      hint?: string;
    };

type Node = {
  resource_type?: string;
  name?: string;
  unique_id?: string;
  package_name?: string;
  database?: string | null;
  schema?: string | null;
  alias?: string | null;
  version?: string | number | null;
  latest_version?: string | number | null;
  config?: { materialized?: string; enabled?: boolean; quoting?: Quoting };
};
type Quoting = { database?: boolean | null; schema?: boolean | null; identifier?: boolean | null };
type Manifest = {
  metadata?: { project_name?: string; dbt_schema_version?: string; adapter_type?: string; quoting?: Quoting };
  nodes?: Record<string, Node>;
  disabled?: Record<string, Node[]>;
};

/** Resolves a model name through a parsed dbt manifest (target/manifest.json). Pure. */
export function resolveDbtModel(manifest: unknown, model: string): DbtResolution {
  const m = manifest as Manifest;
  if (!m || typeof m !== "object" || typeof m.nodes !== "object" || m.nodes === null) {
    return { ok: false, code: "invalid_manifest", message: "the dbt manifest has no nodes: is it dbt's target/manifest.json?" };
  }
  const models = Object.values(m.nodes).filter((n) => n.resource_type === "model");
  const candidates = models.filter((n) => n.name === model);
  // The same name in several packages: the root project's model wins, as ref() does.
  const own = candidates.filter((n) => n.package_name === m.metadata?.project_name);
  const pool = own.length ? own : candidates;
  // Versioned models: the latest version is what ref() without a version gives.
  const node = pool.find((n) => n.version == null || String(n.version) === String(n.latest_version)) ?? pool[0];
  if (!node) {
    const disabled = Object.values(m.disabled ?? {})
      .flat()
      .find((n) => n.resource_type === "model" && n.name === model);
    if (disabled)
      return {
        ok: false,
        code: "disabled_dbt_model",
        message: `dbt model "${model}" is disabled (enabled: false), so it has no relation to read`,
        hint: "enable it in dbt, or point the activation at another model",
      };
    // A common slip: naming the relation (the alias) rather than the model.
    const aliased = models.find((n) => n.alias && n.alias !== n.name && n.alias.toLowerCase() === model.toLowerCase());
    const suggestions = aliased
      ? [aliased.name!]
      : nearest(model, [
          ...new Set(
            models
              .filter((n) => n.config?.materialized !== "ephemeral")
              .map((n) => n.name!)
              .filter(Boolean),
          ),
        ]);
    const quoted = suggestions.map((n) => `"${n}"`);
    return {
      ok: false,
      code: "unknown_dbt_model",
      message: `no dbt model named "${model}" in the manifest`,
      ...(aliased
        ? { hint: `"${model}" is the relation dbt builds for model "${aliased.name}": name the model` }
        : quoted.length
          ? { hint: `did you mean ${quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}`}?` }
          : {}),
    };
  }
  const materialized = node.config?.materialized ?? "view";
  if (materialized === "ephemeral") {
    return {
      ok: false,
      code: "ephemeral_dbt_model",
      message: `dbt model "${model}" is ephemeral: it exists only inside other models' SQL, never as a relation Ferry could read`,
      hint: "materialize it as a view or table, or use the model that selects from it",
    };
  }
  // The model's own quoting config, else the project's as the manifest records it, else the
  // adapter's default (dbt-snowflake quotes nothing; the others quote everything).
  const fallback = m.metadata?.adapter_type !== "snowflake";
  const quotedPart = (part: keyof Quoting) => node.config?.quoting?.[part] ?? m.metadata?.quoting?.[part] ?? fallback;
  return {
    ok: true,
    relation: {
      uniqueId: node.unique_id ?? `model.${model}`,
      model,
      database: node.database ?? null,
      schema: node.schema ?? null,
      name: node.alias || model,
      materialized,
      quoted: { database: quotedPart("database"), schema: quotedPart("schema"), identifier: quotedPart("identifier") },
    },
  };
}
