import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { resolveDbtModel, type DbtRelation, type DbtResolution } from "./dbt.js";
import { compareIssues, type ConfigIssue } from "./issues.js";
import { locateField, parseActivation, parseProject } from "./parse.js";
import { DEFAULT_PROJECT, type Activation, type Project } from "./schemas.js";

export const PROJECT_FILE_NAMES = ["ferry.yml", "ferry.yaml"] as const;
const ACTIVATION_EXTENSIONS = new Set([".yml", ".yaml", ".json"]);

export interface LoadedProject {
  /** The ferry.yml that applies, or undefined when defaults apply. */
  file: string | undefined;
  project: Project;
}

export interface LoadedActivation {
  file: string;
  activation: Activation;
  project: LoadedProject;
  /** For a dbt_model source: the relation the manifest gives it (absent without a manifest). */
  dbt?: DbtRelation & { manifest: string };
  /**
   * Where the fields that name source columns are written ("mapping.email", "source.primary_key"),
   * so that an error the warehouse reports about a column can point at the line that names it.
   */
  positions?: Record<string, { line: number; column: number }>;
}

export interface LoadResult {
  activations: LoadedActivation[];
  /** Errors and warnings of every file, sorted by file and line. */
  issues: ConfigIssue[];
  /** Activation files read. */
  files: string[];
}

const isProjectFile = (file: string) => (PROJECT_FILE_NAMES as readonly string[]).includes(path.basename(file));

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(full)));
    else if (ACTIVATION_EXTENSIONS.has(path.extname(entry.name))) files.push(full);
  }
  return files;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * Loads activation files and directories with the project file that applies to each (the
 * ferry.yml in the activation's directory or its nearest parent). Every issue of every file is
 * collected; nothing is thrown for bad config.
 */
export async function loadActivations(
  paths: readonly string[],
  options: { cwd?: string; env?: Readonly<Record<string, string | undefined>> } = {},
): Promise<LoadResult> {
  const cwd = options.cwd ?? process.cwd();
  const issues: ConfigIssue[] = [];
  const files: string[] = [];
  const explicitProjects: string[] = [];
  const rel = (file: string) => path.relative(cwd, file) || file;

  for (const input of paths) {
    const full = path.resolve(cwd, input);
    const info = await stat(full).catch(() => undefined);
    if (!info) {
      issues.push({
        file: input,
        line: 0,
        column: 0,
        path: "",
        code: "not_found",
        message: "no such file or directory",
        severity: "error",
      });
    } else if (info.isDirectory()) {
      const found = await walk(full);
      files.push(...found.filter((f) => !isProjectFile(f)));
      explicitProjects.push(...found.filter(isProjectFile));
      if (found.length === 0) {
        issues.push({
          file: rel(full),
          line: 0,
          column: 0,
          path: "",
          code: "no_activations",
          message: "no activation files (*.yml, *.yaml, *.json) in this directory",
          severity: "error",
        });
      }
    } else if (isProjectFile(full)) {
      explicitProjects.push(full);
    } else {
      files.push(full);
    }
  }

  const projects = new Map<string, Promise<LoadedProject>>();
  const projectFor = (dir: string): Promise<LoadedProject> => {
    let cached = projects.get(dir);
    if (!cached) {
      cached = (async () => {
        for (const name of PROJECT_FILE_NAMES) {
          const candidate = path.join(dir, name);
          if (await exists(candidate)) {
            const result = parseProject(await readFile(candidate, "utf8"), rel(candidate));
            issues.push(...result.issues);
            return { file: rel(candidate), project: result.ok ? result.value : DEFAULT_PROJECT };
          }
        }
        const parent = path.dirname(dir);
        return parent === dir ? { file: undefined, project: DEFAULT_PROJECT } : projectFor(parent);
      })();
      projects.set(dir, cached);
    }
    return cached;
  };

  for (const file of explicitProjects) await projectFor(path.dirname(file));

  const activations: LoadedActivation[] = [];
  const sources = new Map<string, string>();
  for (const file of [...new Set(files)]) {
    const source = await readFile(file, "utf8");
    const result = parseActivation(source, rel(file));
    issues.push(...result.issues);
    const project = await projectFor(path.dirname(file));
    if (result.ok) {
      const positions: Record<string, { line: number; column: number }> = {};
      for (const key of Object.keys(result.value.mapping)) positions[`mapping.${key}`] = locateField(source, ["mapping", key]);
      positions["source.primary_key"] = locateField(source, ["source", "primary_key"]);
      for (const key of ["query", "table", "dbt_model"] as const)
        if (result.value.source[key] !== undefined) positions["source"] = locateField(source, ["source", key]);
      activations.push({ file: rel(file), activation: result.value, project, positions });
      sources.set(rel(file), source);
    }
  }

  // Names key the sync state, so two activations of one project must never share one.
  const seen = new Map<string, string>();
  for (const loaded of activations) {
    const key = `${loaded.project.file ?? ""}\0${loaded.activation.name}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, loaded.file);
      continue;
    }
    issues.push({
      file: loaded.file,
      ...locateField(sources.get(loaded.file)!, ["name"]),
      path: "name",
      code: "duplicate_name",
      message: `activation name "${loaded.activation.name}" is already used by ${first}`,
      hint: "names key the sync state; give each activation its own",
      severity: "error",
    });
  }

  // Every activation must name a warehouse its project defines (or the implicit "default").
  for (const loaded of activations) {
    const name = loaded.activation.source.warehouse;
    const defined = Object.keys(loaded.project.project.warehouses);
    if (name !== "default" && !defined.includes(name)) {
      issues.push({
        file: loaded.file,
        ...locateField(sources.get(loaded.file)!, ["source", "warehouse"]),
        path: "source.warehouse",
        code: "unknown_warehouse",
        message: `warehouse "${name}" is not defined in ${loaded.project.file ?? "a ferry.yml (none found)"}`,
        hint: defined.length ? `defined: ${defined.join(", ")}` : "define it under `warehouses:` in activations/ferry.yml",
        severity: "error",
      });
    }
  }

  // A phone written without its country code can only be read with a region: say so before a run rejects it.
  for (const loaded of activations) {
    const a = loaded.activation;
    if (a.mapping.phone === undefined || a.phone_default_region || a.mapping.phone_region) continue;
    if (loaded.project.project.defaults.phone_default_region) continue;
    issues.push({
      file: loaded.file,
      ...locateField(sources.get(loaded.file)!, ["mapping", "phone"]),
      path: "mapping.phone",
      code: "phone_without_region",
      message: "phone is mapped but no region is set: national numbers (without a +country code) will be rejected",
      hint: "set phone_default_region here or under defaults in ferry.yml, or map phone_region to a column of ISO country codes",
      severity: "warning",
    });
  }

  // dbt models resolve through the project's manifest; without one they cannot be checked here.
  const manifests = new Map<string, Promise<unknown>>();
  for (const loaded of activations) {
    const model = loaded.activation.source.dbt_model;
    if (model === undefined) continue;
    const base = path.resolve(cwd, loaded.project.file ? path.dirname(loaded.project.file) : path.dirname(loaded.file));
    const configured = loaded.project.project.dbt?.manifest_path;
    const fromEnv = options.env?.["DBT_MANIFEST_PATH"];
    const manifestPath = configured
      ? path.resolve(base, configured)
      : fromEnv
        ? path.resolve(cwd, fromEnv)
        : path.resolve(base, "../target/manifest.json");
    let manifest = manifests.get(manifestPath);
    if (!manifest) {
      manifest = readFile(manifestPath, "utf8").then(
        (text) => {
          try {
            return JSON.parse(text) as unknown;
          } catch {
            return new Error("not valid JSON");
          }
        },
        () => undefined,
      );
      manifests.set(manifestPath, manifest);
    }
    const parsed = await manifest;
    const where = locateField(sources.get(loaded.file)!, ["source", "dbt_model"]);
    const shown = rel(manifestPath);
    if (parsed === undefined) {
      issues.push({
        file: loaded.file,
        ...where,
        path: "source.dbt_model",
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
        file: loaded.file,
        ...where,
        path: "source.dbt_model",
        code: resolved.code,
        message: resolved.message,
        ...(resolved.hint ? { hint: resolved.hint } : {}),
        severity: "error",
      });
  }

  const bad = new Set(issues.filter((i) => i.severity === "error").map((i) => i.file));
  return {
    activations: activations.filter((a) => !bad.has(a.file)),
    issues: issues.sort(compareIssues),
    files: [...new Set(files)].map(rel),
  };
}
