import { z } from "zod";
import { ActivationSchema, ProjectSchema } from "./schemas.js";

export const JSON_SCHEMA_FILES = {
  "activation.schema.json": ActivationSchema,
  "project.schema.json": ProjectSchema,
} as const;

/**
 * JSON Schemas for editors (yaml-language-server) and other tools, from the zod schemas. The
 * input side is described: defaults are optional to write. zod 4's own converter is used because
 * zod-to-json-schema targets zod 3 internals and drops zod 4 metadata.
 */
export function jsonSchemas(): Record<keyof typeof JSON_SCHEMA_FILES, string> {
  const out = {} as Record<keyof typeof JSON_SCHEMA_FILES, string>;
  for (const [file, schema] of Object.entries(JSON_SCHEMA_FILES) as [keyof typeof JSON_SCHEMA_FILES, z.ZodType][]) {
    const json = z.toJSONSchema(schema, { target: "draft-7", io: "input", unrepresentable: "any" });
    out[file] = `${JSON.stringify({ ...json, $id: `https://unpkg.com/@ferry/schema/schemas/${file}` }, null, 2)}\n`;
  }
  return out;
}
