import { readFile } from "node:fs/promises";
import path from "node:path";
import { checkWarehouseUrl } from "@ferry/engine";
import { loadActivations, type ConfigIssue, type LoadResult } from "@ferry/schema";
import { annotation } from "../annotations.js";
import { formatOf, parse } from "../args.js";
import { color, EXIT, type Io } from "../io.js";

export const validateHelp = `Usage: ferry validate [paths…] [options]

Checks activation files (YAML or JSON) and their project file (ferry.yml) without touching
any warehouse or TikTok. A warehouse URL set in the environment is checked for a scheme Ferry
reads (postgres, mysql/mariadb, sqlite, duckdb/md, bigquery, snowflake). Every error of every file is reported in one go, each with its
file:line:column and field path. Directories are searched recursively. A source.dbt_model
is checked against dbt's target/manifest.json when there is one (see \`ferry dbt --help\`).

Arguments:
  paths…               activation files or directories (default: activations)

Options:
  --format text|json   output format (default: text); json prints {"valid", "issues", …}
  --fail-on-warnings   exit 2 when there are warnings but no errors
  -h, --help           show this help

Under GitHub Actions (GITHUB_ACTIONS=true) each problem is also printed as an annotation,
so it shows on the pull request diff.

Exit codes: 0 valid, 1 errors found, 2 warnings only (with --fail-on-warnings), 64 usage.

Examples:
  ferry validate
  ferry validate activations/pos-purchases.yml --format json
`;

/**
 * The warehouse URLs set in the environment that Ferry cannot read, each reported at the
 * url_env line of the ferry.yml that names its variable. Unset variables are not an error here:
 * CI validating a pull request has no secrets.
 */
async function urlIssues(result: LoadResult, io: Io): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const { project } of result.activations) {
    for (const [name, warehouse] of Object.entries(project.project.warehouses)) {
      const key = `${project.file ?? ""}\u0000${name}`;
      const url = io.env[warehouse.url_env];
      if (seen.has(key) || !url) continue;
      seen.add(key);
      const problem = checkWarehouseUrl(url);
      if (!problem) continue;
      const text = project.file ? await readFile(path.resolve(io.cwd, project.file), "utf8").catch(() => "") : "";
      const line = text.split("\n").findIndex((l) => new RegExp(`url_env:\\s*["']?${warehouse.url_env}\\b`).test(l));
      issues.push({
        file: project.file ?? "ferry.yml",
        line: line + 1,
        column: line >= 0 ? text.split("\n")[line]!.indexOf("url_env") + 1 : 0,
        path: `warehouses.${name}.url_env`,
        code: "unsupported_warehouse_url",
        message: `$${warehouse.url_env}: ${problem}`,
        severity: "error",
      });
    }
  }
  return issues;
}

export function describeIssue(issue: ConfigIssue): string {
  const where = issue.path ? `${issue.path}: ` : "";
  return `${where}${issue.message}${issue.hint ? ` (${issue.hint})` : ""}`;
}

export async function validate(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    format: { type: "string" },
    "fail-on-warnings": { type: "boolean" },
  });
  if (values.help) {
    io.stdout.write(validateHelp);
    return EXIT.ok;
  }
  const format = formatOf(values.format);
  const paths = positionals.length ? positionals : ["activations"];
  const result = await loadActivations(paths, { cwd: io.cwd, env: io.env });
  result.issues.push(...(await urlIssues(result, io)));
  const errors = result.issues.filter((i) => i.severity === "error");
  const warnings = result.issues.filter((i) => i.severity === "warning");

  if (io.env["GITHUB_ACTIONS"] === "true") {
    for (const issue of result.issues) {
      io.stdout.write(
        annotation(issue.severity, describeIssue(issue), {
          file: issue.file,
          line: issue.line,
          col: issue.column,
          title: `ferry: ${issue.code}`,
        }),
      );
    }
  }

  if (format === "json") {
    io.stdout.write(
      `${JSON.stringify({ valid: errors.length === 0, files: result.files, activations: result.activations.map((a) => a.activation.name), issues: result.issues }, null, 2)}\n`,
    );
  } else {
    const c = color(io);
    for (const issue of result.issues) {
      const label = issue.severity === "error" ? c.red("error") : c.yellow("warning");
      const where = issue.line ? `${issue.file}:${issue.line}:${issue.column}` : issue.file;
      io.stdout.write(`${c.bold(where)} ${label} ${describeIssue(issue)} ${c.dim(`[${issue.code}]`)}\n`);
    }
    const files = new Set(result.issues.map((i) => i.file)).size;
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
    if (errors.length > 0) {
      io.stdout.write(
        `\n${c.red("✖")} ${plural(errors.length, "error")}${warnings.length ? `, ${plural(warnings.length, "warning")}` : ""} in ${plural(files, "file")}\n`,
      );
    } else {
      const names = result.activations.map((a) => a.activation.name).join(", ");
      io.stdout.write(
        `${c.green("✔")} ${plural(result.activations.length, "activation")} valid${names ? `: ${names}` : ""}${warnings.length ? ` (${plural(warnings.length, "warning")})` : ""}\n`,
      );
    }
  }
  if (errors.length > 0) return EXIT.failed;
  return warnings.length > 0 && values["fail-on-warnings"] ? EXIT.warnings : EXIT.ok;
}
