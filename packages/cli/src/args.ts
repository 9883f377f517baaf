import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./io.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** util.parseArgs with errors a user can act on (and --help handled by the caller). */
type Values<O extends Options> = { [K in keyof O]?: O[K]["type"] extends "boolean" ? boolean : string } & { help?: boolean };

export function parse<O extends Options>(argv: string[], options: O): { values: Values<O>; positionals: string[] } {
  try {
    return parseArgs({
      args: argv,
      options: { help: { type: "boolean", short: "h" }, ...options },
      allowPositionals: true,
      strict: true,
    }) as { values: Values<O>; positionals: string[] };
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/\. To specify a positional.*$/s, "") : String(error);
    throw new UsageError(message);
  }
}

export function formatOf(value: unknown, allowed: readonly string[] = ["text", "json"]): string {
  const format = (value as string | undefined) ?? "text";
  if (!allowed.includes(format)) throw new UsageError(`--format takes ${allowed.join(" or ")}`);
  return format;
}
