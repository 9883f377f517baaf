import { activationYaml } from "@ferry/testkit/fixtures";
import { SEED, seedNote } from "@ferry/testkit/seed";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { parseActivation, parseProject } from "./parse.js";
import type { ConfigIssue } from "./issues.js";

// A valid activation of its own: importing parse.test.ts for one would run its tests twice.
const base = parseActivation(
  activationYaml({ mapping: { event_time: "purchased_at", email: "email", phone: "phone", currency: { const: "EUR" } } }),
  "a.yml",
);
if (!base.ok) throw new Error("fixture must be valid");
const baseData = JSON.parse(JSON.stringify(base.value)) as Record<string, unknown>;

function assertLocated(issues: ConfigIssue[]) {
  for (const issue of issues) {
    expect(issue.line).toBeGreaterThanOrEqual(1);
    expect(issue.column).toBeGreaterThanOrEqual(1);
    expect(issue.message.length).toBeGreaterThan(0);
    expect(issue.file).toBe("a.yml");
  }
}

function check(source: string) {
  for (const parse of [parseActivation, parseProject]) {
    const result = parse(source, "a.yml");
    if (!result.ok) expect(result.issues.length).toBeGreaterThan(0);
    assertLocated(result.issues);
  }
}

type Mutation = { path: number[]; kind: "delete" | "set" | "rename"; value: unknown; typo: number };

/** Applies a mutation at a path chosen by indexes into the keys at each level. */
function mutate(data: unknown, m: Mutation): unknown {
  const copy = structuredClone(data) as Record<string, unknown>;
  let node: Record<string, unknown> = copy;
  for (let depth = 0; depth < m.path.length; depth++) {
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[m.path[depth]! % keys.length]!;
    const next = node[key];
    const last = depth === m.path.length - 1 || next === null || typeof next !== "object";
    if (!last) {
      node = next as Record<string, unknown>;
      continue;
    }
    if (m.kind === "delete") delete node[key];
    else if (m.kind === "set") node[key] = m.value;
    else {
      const i = m.typo % Math.max(key.length, 1);
      node[key.slice(0, i) + key.slice(i + 1) + key[i]] = node[key];
      delete node[key];
    }
    break;
  }
  return copy;
}

const mutation = fc.record({
  path: fc.array(fc.nat(20), { minLength: 1, maxLength: 4 }),
  kind: fc.constantFrom("delete", "set", "rename") as fc.Arbitrary<Mutation["kind"]>,
  value: fc.jsonValue({ maxDepth: 2 }),
  typo: fc.nat(30),
});

describe(`validator robustness (${seedNote})`, () => {
  it("never crashes on arbitrary JSON documents", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => check(JSON.stringify(value, null, 2) ?? "null")),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("never crashes on arbitrary text", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 300 }), check), { seed: SEED, numRuns: 300 });
  });

  it("never crashes on YAML of arbitrary objects", () => {
    fc.assert(
      fc.property(fc.object({ maxDepth: 3 }), (value) => check(stringify(value))),
      { seed: SEED, numRuns: 200 },
    );
  });

  it("locates every refusal of a mutated valid activation, in YAML and JSON", () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean(), (mutations, asJson) => {
        const data = mutations.reduce<unknown>(mutate, baseData);
        const source = asJson ? JSON.stringify(data, null, 2) : stringify(data);
        const result = parseActivation(source, "a.yml");
        assertLocated(result.issues);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });
});
