import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { DbtRelation } from "./dbt.js";
import { compareIssues, type ConfigIssue } from "./issues.js";
import { locateField, parseActivation, parseProject } from "./parse.js";
import { duplicateNames, phonesWithoutRegion, resolveDbtModels, unknownWarehouses } from "./load-rules.js";
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

/** The activation and project files the given paths name, directories searched recursively. */
async function expandPaths(paths: readonly string[], cwd: string, issues: ConfigIssue[]) {
  const rel = (file: string) => path.relative(cwd, file) || file;
  const files: string[] = [];
  const explicitProjects: string[] = [];
  const missing = (file: string, code: string, message: string): ConfigIssue => ({
    file,
    line: 0,
    column: 0,
    path: "",
    code,
    message,
    severity: "error",
  });
  for (const input of paths) {
    const full = path.resolve(cwd, input);
    const info = await stat(full).catch(() => undefined);
    if (!info) issues.push(missing(input, "not_found", "no such file or directory"));
    else if (info.isDirectory()) {
      const found = await walk(full);
      files.push(...found.filter((f) => !isProjectFile(f)));
      explicitProjects.push(...found.filter(isProjectFile));
      if (found.length === 0)
        issues.push(missing(rel(full), "no_activations", "no activation files (*.yml, *.yaml, *.json) in this directory"));
    } else if (isProjectFile(full)) explicitProjects.push(full);
    else files.push(full);
  }
  return { files: [...new Set(files)], explicitProjects };
}

/** The project file that applies to a directory (its own ferry.yml or its nearest parent's), read once each. */
function projectLoader(rel: (file: string) => string, issues: ConfigIssue[]): (dir: string) => Promise<LoadedProject> {
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
  return projectFor;
}

/** Where the fields that name source columns are written, for errors about those columns. */
function positionsOf(source: string, activation: Activation): Record<string, { line: number; column: number }> {
  const positions: Record<string, { line: number; column: number }> = {};
  for (const key of Object.keys(activation.mapping)) positions[`mapping.${key}`] = locateField(source, ["mapping", key]);
  positions["source.primary_key"] = locateField(source, ["source", "primary_key"]);
  for (const key of ["query", "table", "dbt_model"] as const)
    if (activation.source[key] !== undefined) positions["source"] = locateField(source, ["source", key]);
  return positions;
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
  const rel = (file: string) => path.relative(cwd, file) || file;
  const { files, explicitProjects } = await expandPaths(paths, cwd, issues);
  const projectFor = projectLoader(rel, issues);
  for (const file of explicitProjects) await projectFor(path.dirname(file));

  const activations: LoadedActivation[] = [];
  const sources = new Map<string, string>();
  for (const file of files) {
    const source = await readFile(file, "utf8");
    const result = parseActivation(source, rel(file));
    issues.push(...result.issues);
    const project = await projectFor(path.dirname(file));
    if (!result.ok) continue;
    activations.push({ file: rel(file), activation: result.value, project, positions: positionsOf(source, result.value) });
    sources.set(rel(file), source);
  }

  // Rules across files, each in load-rules.ts.
  const at = (loaded: LoadedActivation, field: readonly string[]) => locateField(sources.get(loaded.file)!, field);
  issues.push(...duplicateNames(activations, at), ...unknownWarehouses(activations, at), ...phonesWithoutRegion(activations, at));
  issues.push(...(await resolveDbtModels(activations, at, { cwd, env: options.env ?? {}, rel })));

  const bad = new Set(issues.filter((i) => i.severity === "error").map((i) => i.file));
  return {
    activations: activations.filter((a) => !bad.has(a.file)),
    issues: issues.sort(compareIssues),
    files: files.map(rel),
  };
}
