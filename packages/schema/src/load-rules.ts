import { readFile } from "node:fs/promises";
import path from "node:path";
import { resolveDbtModel, type DbtResolution } from "./dbt.js";
import type { ConfigIssue } from "./issues.js";
import type { LoadedActivation } from "./load.js";

// The rules that read several files at once (an activation and its project, or all the
// activations of a project), each a function from the loaded activations to issues.

/** Where a field is written in an activation's file. */
type At = (loaded: LoadedActivation, field: readonly string[]) => { line: number; column: number };

/** Names key the sync state, so two activations of one project must never share one. */
export function duplicateNames(activations: readonly LoadedActivation[], at: At): ConfigIssue[] {
  const seen = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  for (const loaded of activations) {
    const key = `${loaded.project.file ?? ""}\0${loaded.activation.name}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, loaded.file);
      continue;
    }
    issues.push({
      file: loaded.file,
      ...at(loaded, ["name"]),
      path: "name",
      code: "duplicate_name",
      message: `activation name "${loaded.activation.name}" is already used by ${first}`,
      hint: "names key the sync state; give each activation its own",
      severity: "error",
    });
  }
  return issues;
}

/** Every activation must name a warehouse its project defines (or the implicit "default"). */
export function unknownWarehouses(activations: readonly LoadedActivation[], at: At): ConfigIssue[] {
  return activations.flatMap((loaded): ConfigIssue[] => {
    const name = loaded.activation.source.warehouse;
    const defined = Object.keys(loaded.project.project.warehouses);
    if (name === "default" || defined.includes(name)) return [];
    return [
      {
        file: loaded.file,
        ...at(loaded, ["source", "warehouse"]),
        path: "source.warehouse",
        code: "unknown_warehouse",
        message: `warehouse "${name}" is not defined in ${loaded.project.file ?? "a ferry.yml (none found)"}`,
        hint: defined.length ? `defined: ${defined.join(", ")}` : "define it under `warehouses:` in activations/ferry.yml",
        severity: "error",
      },
    ];
  });
}

/** A phone written without its country code can only be read with a region: say so before a run rejects it. */
export function phonesWithoutRegion(activations: readonly LoadedActivation[], at: At): ConfigIssue[] {
  return activations.flatMap((loaded): ConfigIssue[] => {
    const a = loaded.activation;
    if (a.mapping.phone === undefined || a.phone_default_region || a.mapping.phone_region) return [];
    if (loaded.project.project.defaults.phone_default_region) return [];
    return [
      {
        file: loaded.file,
        ...at(loaded, ["mapping", "phone"]),
        path: "mapping.phone",
        code: "phone_without_region",
        message: "phone is mapped but no region is set: national numbers (without a +country code) will be rejected",
        hint: "set phone_default_region here or under defaults in ferry.yml, or map phone_region to a column of ISO country codes",
        severity: "warning",
      },
    ];
  });
}

/**
 * dbt models resolve through the project's manifest (dbt.manifest_path, else DBT_MANIFEST_PATH,
 * else ../target/manifest.json next to ferry.yml); each activation on one gets its relation.
 * Without a manifest they cannot be checked here: a warning.
 */
export async function resolveDbtModels(
  activations: readonly LoadedActivation[],
  at: At,
  context: { cwd: string; env: Readonly<Record<string, string | undefined>>; rel: (file: string) => string },
): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  const manifests = new Map<string, Promise<unknown>>();
  const read = (file: string) => {
    let manifest = manifests.get(file);
    if (!manifest) {
      manifest = readFile(file, "utf8").then(
        (text) => {
          try {
            return JSON.parse(text) as unknown;
          } catch {
            return new Error("not valid JSON");
          }
        },
        () => undefined,
      );
      manifests.set(file, manifest);
    }
    return manifest;
  };
  for (const loaded of activations) {
    const model = loaded.activation.source.dbt_model;
    if (model === undefined) continue;
    const base = path.resolve(context.cwd, loaded.project.file ? path.dirname(loaded.project.file) : path.dirname(loaded.file));
    const configured = loaded.project.project.dbt?.manifest_path;
    const fromEnv = context.env["DBT_MANIFEST_PATH"];
    const manifestPath = configured
      ? path.resolve(base, configured)
      : fromEnv
        ? path.resolve(context.cwd, fromEnv)
        : path.resolve(base, "../target/manifest.json");
    const parsed = await read(manifestPath);
    const where = { file: loaded.file, ...at(loaded, ["source", "dbt_model"]), path: "source.dbt_model" };
    const shown = context.rel(manifestPath);
    if (parsed === undefined) {
      issues.push({
        ...where,
        code: "no_dbt_manifest",
        message: `dbt model not checked: no manifest at ${shown}`,
        hint: "`dbt parse` writes it; or set dbt.manifest_path in ferry.yml, or DBT_MANIFEST_PATH",
        severity: "warning",
      });
      continue;
    }
    const resolved: DbtResolution =
      parsed instanceof Error
        ? { ok: false, code: "invalid_manifest", message: `the dbt manifest ${shown} is not valid JSON` }
        : resolveDbtModel(parsed, model);
    if (resolved.ok) loaded.dbt = { ...resolved.relation, manifest: shown };
    else
      issues.push({
        ...where,
        code: resolved.code,
        message: resolved.message,
        ...(resolved.hint ? { hint: resolved.hint } : {}),
        severity: "error",
      });
  }
  return issues;
}
