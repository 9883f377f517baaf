// The dependency graph of CONTRIBUTING's Architecture section, enforced: a new edge fails `npm test`.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
// The rules ESLint reads too (eslint.config.js): one file, so the two checks agree.
import { ALLOWED, CLIENT_OWNERS, isClient } from "../../../dependency-rules.js";

const root = path.resolve(import.meta.dirname, "../../..");
type Manifest = {
  name: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
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
    const allowed = (ALLOWED as Record<string, string[]>)[dir];
    expect(allowed, `add ${dir} to dependency-rules.js`).toBeDefined();
    expect(ours.filter((d) => !allowed!.includes(d))).toEqual([]);
    for (const [client, owner] of Object.entries(CLIENT_OWNERS)) {
      for (const dep of deps.filter((d) => isClient(d, client))) expect(`${dep} in ${dir}`).toBe(`${dep} in ${owner}`);
    }
  });

  it.each(packages)("@ferry/%s imports only declared packages, never a sibling's sources", async (dir) => {
    const manifest = manifests.get(dir)!;
    // An optional peer (a cloud warehouse's client) is declared too: loaded only for its URLs.
    const declared = new Set(Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies }));
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
