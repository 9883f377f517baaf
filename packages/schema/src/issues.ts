/** One problem in a config file, located for humans (file:line:col) and tools (path, code). */
export interface ConfigIssue {
  file: string;
  /** 1-based; 0 when the problem is not in a file (e.g. a missing file). */
  line: number;
  column: number;
  /** The field path, e.g. "mapping.email" ("" for the whole file). */
  path: string;
  /** Stable machine code, e.g. unknown_key, missing_field, unknown_event, secret_literal. */
  code: string;
  message: string;
  hint?: string;
  severity: "error" | "warning";
}

export type ParseResult<T> = { ok: true; value: T; issues: ConfigIssue[] } | { ok: false; issues: ConfigIssue[] };

export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("");
}

export function compareIssues(a: ConfigIssue, b: ConfigIssue): number {
  return a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.path.localeCompare(b.path);
}
