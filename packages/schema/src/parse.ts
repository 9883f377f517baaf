import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from "yaml";
import type { z } from "zod";
import { DEPRECATED_EVENT_NAMES, EVENT_NAMES } from "./events.js";
import { knownKeysAt } from "./introspect.js";
import { formatPath, type ConfigIssue, type ParseResult } from "./issues.js";
import { ActivationSchema, ProjectSchema, type Activation, type Project } from "./schemas.js";
import { closest } from "./suggest.js";

type Position = { line: number; column: number };

/** A parsed YAML/JSON document that can say where any field path stands in the source. */
class Located {
  readonly lineCounter = new LineCounter();
  readonly doc: Document.Parsed;
  constructor(source: string) {
    // JSON is YAML 1.2, so one parser (and one way of locating errors) serves both formats.
    this.doc = parseDocument(source, { lineCounter: this.lineCounter, prettyErrors: false, uniqueKeys: true });
  }

  private pos(offset: number): Position {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  /** Where a path points: the key for a key problem, the value otherwise; the nearest existing ancestor when absent. */
  locate(path: readonly PropertyKey[], at: "key" | "value"): Position {
    let node: unknown = this.doc.contents;
    let pair: Pair<Node, unknown> | undefined;
    let complete = true;
    for (const segment of path) {
      if (isMap(node)) {
        const found = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment)) as Pair<Node, unknown> | undefined;
        if (!found) {
          complete = false;
          break;
        }
        pair = found;
        node = found.value;
      } else if (isSeq(node) && typeof segment === "number" && node.items[segment] !== undefined) {
        pair = undefined;
        node = node.items[segment];
      } else {
        complete = false;
        break;
      }
    }
    // An absent field is reported at the key of the object that should hold it, and a problem
    // of a whole object at that object's key (its first line inside is some other field).
    const preferKey = at === "key" || !complete || isMap(node) || isSeq(node);
    const keyRange = pair?.key?.range;
    if (preferKey && keyRange) return this.pos(keyRange[0]);
    const range = (node as Node | null)?.range ?? keyRange;
    return range ? this.pos(range[0]) : { line: 1, column: 1 };
  }
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let current = data;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

function parseWith<T>(schema: z.ZodType<T>, source: string, file: string): ParseResult<T> & { located?: Located } {
  const located = new Located(source);
  const issue = (
    path: readonly PropertyKey[],
    at: "key" | "value",
    rest: Omit<ConfigIssue, "file" | "line" | "column" | "path" | "severity"> & { severity?: ConfigIssue["severity"] },
  ): ConfigIssue => ({
    file,
    ...located.locate(path, at),
    path: formatPath(path),
    severity: "error",
    ...rest,
  });

  const syntax = located.doc.errors.map((e): ConfigIssue => {
    const { line, col } = located.lineCounter.linePos(e.pos[0]);
    return {
      file,
      line,
      column: col,
      path: "",
      code: "syntax",
      message: e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, ""),
      severity: "error",
    };
  });
  if (syntax.length > 0) return { ok: false, issues: syntax };

  const data: unknown = located.doc.toJS({ maxAliasCount: 100 });
  if (data === null || data === undefined) {
    return { ok: false, issues: [{ file, line: 1, column: 1, path: "", code: "empty", message: "the file is empty", severity: "error" }] };
  }

  const result = schema.safeParse(data);
  if (result.success) return { ok: true, value: result.data, issues: [], located };

  const issues: ConfigIssue[] = [];
  for (const zi of result.error.issues) {
    const path = zi.path;
    if (zi.code === "unrecognized_keys") {
      const known = knownKeysAt(schema, path);
      for (const key of zi.keys) {
        const suggestion = closest(key, known);
        issues.push(
          issue([...path, key], "key", {
            code: "unknown_key",
            message: `unknown key "${key}"`,
            hint: suggestion ? `did you mean "${suggestion}"?` : `accepted keys here: ${known.join(", ")}`,
          }),
        );
      }
      continue;
    }
    const value = valueAt(data, path);
    if ((zi.code === "invalid_type" || zi.code === "invalid_union") && value === undefined) {
      issues.push(issue(path, "value", { code: "missing_field", message: `missing required field "${String(path.at(-1))}"` }));
      continue;
    }
    if (path.length === 1 && path[0] === "event" && typeof value === "string") {
      const suggestion = closest(value, EVENT_NAMES);
      issues.push(
        issue(path, "value", {
          code: "unknown_event",
          message: "not one of TikTok's accepted event names",
          hint: suggestion ? `did you mean "${suggestion}"?` : `one of: ${EVENT_NAMES.join(", ")}`,
        }),
      );
      continue;
    }
    const params = zi.code === "custom" ? (zi.params as { ferry?: string; hint?: string } | undefined) : undefined;
    issues.push(
      issue(path, "value", {
        code: params?.ferry ?? (zi.code === "invalid_type" ? "invalid_type" : "invalid_value"),
        message: zi.message,
        ...(params?.hint ? { hint: params.hint } : {}),
      }),
    );
  }
  return { ok: false, issues };
}

/** Parses and validates one activation file (YAML or JSON). Pure: the caller reads the file. */
export function parseActivation(source: string, file: string): ParseResult<Activation> {
  const result = parseWith(ActivationSchema, source, file);
  if (!result.ok || !result.located) return result;
  const event = result.value.event;
  const deprecation = typeof event === "string" ? DEPRECATED_EVENT_NAMES[event] : undefined;
  const issues: ConfigIssue[] = deprecation
    ? [
        {
          file,
          ...result.located.locate(["event"], "value"),
          path: "event",
          code: "deprecated_event",
          message: deprecation,
          severity: "warning",
        },
      ]
    : [];
  return { ok: true, value: result.value, issues };
}

/** Parses and validates a project file (ferry.yml). */
export function parseProject(source: string, file: string): ParseResult<Project> {
  const { located: _located, ...result } = parseWith(ProjectSchema, source, file);
  return result;
}

/** Where the `name:` of an activation stands, to point duplicate names at the right line. */
export function locateField(source: string, path: readonly PropertyKey[]): Position {
  return new Located(source).locate(path, "value");
}
