// The dependency graph of README's Architecture section, enforced: a new edge fails `npm test`.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../../..");
const ALLOWED: Record<string, string[]> = {
  schema: [],
  "tiktok-sandbox": [],
  warehouse: ["schema"],
  tiktok: ["schema"],
  engine: ["schema", "warehouse", "tiktok"],
  github: ["engine"],
  cli: ["schema", "engine", "tiktok-sandbox"],
  "github-action": ["schema", "engine", "github"],
  testkit: ["schema", "warehouse", "tiktok", "tiktok-sandbox", "engine", "github", "cli"],
  bench: ["schema", "warehouse", "tiktok", "tiktok-sandbox", "engine", "cli", "testkit"],
};
const CLIENT_OWNERS: Record<string, string> = {
  knex: "warehouse",
  pg: "warehouse",
  mysql2: "warehouse",
  "better-sqlite3": "warehouse",
  undici: "tiktok",
  "@octokit/rest": "github",
  "@actions/core": "github-action",
};

type Manifest = { name: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
const packages = (await readdir(path.join(root, "packages"))).sort();
const manifests = new Map<string, Manifest>();
for (const dir of packages) {
  manifests.set(dir, JSON.parse(await readFile(path.join(root, "packages", dir, "package.json"), "utf8")) as Manifest);
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sourceFiles(full)));
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts")) out.push(full);
  }
  return out;
}

describe("architecture", () => {
  it.each(packages)("@ferry/%s depends only on what the graph allows", (dir) => {
    const deps = Object.keys(manifests.get(dir)!.dependencies ?? {});
    const ours = deps.filter((d) => d.startsWith("@ferry/")).map((d) => d.slice("@ferry/".length));
    expect(ALLOWED[dir], `add ${dir} to the graph`).toBeDefined();
    expect(ours.filter((d) => !ALLOWED[dir]!.includes(d))).toEqual([]);
    for (const [client, owner] of Object.entries(CLIENT_OWNERS)) {
      if (deps.includes(client)) expect(`${client} in ${dir}`).toBe(`${client} in ${owner}`);
    }
  });

  it.each(packages)("@ferry/%s imports only declared packages, never a sibling's sources", async (dir) => {
    const manifest = manifests.get(dir)!;
    const declared = new Set(Object.keys(manifest.dependencies ?? {}));
    for (const file of await sourceFiles(path.join(root, "packages", dir, "src"))) {
      const text = await readFile(file, "utf8");
      // `from` as a keyword, not a method such as Buffer.from("...").
      for (const [, spec] of text.matchAll(/(?<![\w.$])(?:from|import)\s*\(?\s*"([^"]+)"/g)) {
        if (!spec || spec.startsWith(".") || spec.startsWith("node:")) {
          expect(spec?.includes("/packages/") || /\.\.\/\.\.\/[^/]+\/src/.test(spec ?? ""), `${file} reaches into another package`).toBe(
            false,
          );
          continue;
        }
        const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
        expect(spec, `${file}: @ferry imports go through the package entry`).not.toMatch(/^@ferry\/[^/]+\/src/);
        if (dir !== "testkit" && dir !== "bench")
          expect(declared.has(name) ? name : `${name} (undeclared in packages/${dir}/package.json)`).toBe(name);
      }
    }
  });

  it("no package imports cli or github-action", () => {
    for (const [dir, manifest] of manifests) {
      const deps = Object.keys({ ...manifest.dependencies });
      if (dir !== "testkit" && dir !== "bench") expect(deps.filter((d) => d === "@ferry/cli" || d === "@ferry/github-action")).toEqual([]);
    }
  });
});
