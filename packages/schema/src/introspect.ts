import type { z } from "zod";

// zod 4 exposes schema structure through `_zod.def`; this walks it to list the keys an object
// accepts at a path, for "did you mean" on unknown keys.
type Def = { type: string; [key: string]: unknown };
const defOf = (schema: unknown): Def => (schema as { _zod: { def: Def } })._zod.def;

function objectsOf(schema: z.ZodType): z.ZodType[] {
  const def = defOf(schema);
  switch (def.type) {
    case "optional":
    case "default":
    case "prefault":
    case "nullable":
    case "readonly":
      return objectsOf(def["innerType"] as z.ZodType);
    case "pipe":
      return objectsOf(def["in"] as z.ZodType);
    case "union":
      return (def["options"] as z.ZodType[]).flatMap(objectsOf);
    default:
      return [schema];
  }
}

function child(schema: z.ZodType, segment: PropertyKey): z.ZodType[] {
  return objectsOf(schema).flatMap((s) => {
    const def = defOf(s);
    if (def.type === "object") {
      const shape = def["shape"] as Record<string, z.ZodType>;
      const next = shape[String(segment)];
      return next ? [next] : [];
    }
    if (def.type === "record") return [def["valueType"] as z.ZodType];
    if (def.type === "array") return [def["element"] as z.ZodType];
    return [];
  });
}

export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.ZodType[] = [schema];
  for (const segment of path) current = current.flatMap((s) => child(s, segment));
  const keys = current.flatMap(objectsOf).flatMap((s) => {
    const def = defOf(s);
    return def.type === "object" ? Object.keys(def["shape"] as object) : [];
  });
  return [...new Set(keys)].filter((k) => k !== "$schema");
}
