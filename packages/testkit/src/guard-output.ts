// Fails any test that writes to the console: library code must report through return values and
// callbacks, never print (a stray log line is also how personal data leaks).
import { afterEach, beforeEach } from "vitest";

const methods = ["log", "info", "warn", "error", "debug"] as const;
let calls: string[] = [];
const originals = new Map(methods.map((m) => [m, console[m]]));

beforeEach(() => {
  calls = [];
  for (const m of methods) {
    console[m] = (...args: unknown[]) => {
      calls.push(`console.${m}: ${args.map(String).join(" ").slice(0, 200)}`);
    };
  }
});

afterEach(() => {
  for (const m of methods) console[m] = originals.get(m)!;
  if (calls.length > 0) throw new Error(`unexpected console output:\n${calls.join("\n")}`);
});
