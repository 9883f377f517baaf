// What `changeset version` must have produced on the scratch copy (argv[2]) for a release to work:
// one version for Ferry's packages and its action, their changelogs, internal ranges on that
// version, the changesets consumed, and a lockfile that agrees.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

const root = process.argv[2];
const read = async (file) => readFile(path.join(root, file), "utf8");
const problems = [];
const packages = [];
for (const dir of await readdir(path.join(root, "packages"))) {
  const manifest = JSON.parse(await read(`packages/${dir}/package.json`));
  if (manifest.name === "@ferry/testkit" || manifest.name === "@ferry/bench") continue;
  packages.push({ dir, manifest });
}
const versions = new Set(packages.map((p) => p.manifest.version));
if (versions.size !== 1) problems.push(`the fixed group has several versions: ${[...versions].join(", ")}`);
const [version] = versions;
for (const { dir, manifest } of packages) {
  const changelog = await read(`packages/${dir}/CHANGELOG.md`).catch(() => "");
  if (!changelog.includes(`## ${version}`)) problems.push(`${manifest.name}: CHANGELOG.md has no "## ${version}"`);
  for (const [dep, range] of Object.entries({ ...manifest.dependencies, ...manifest.devDependencies }))
    if (dep.startsWith("@ferry/") && range !== `^${version}`) problems.push(`${manifest.name}: ${dep} is "${range}", not "^${version}"`);
}
const left = (await readdir(path.join(root, ".changeset"))).filter((f) => f.endsWith(".md") && f !== "README.md");
if (left.length) problems.push(`changesets not consumed: ${left.join(", ")}`);
const lock = JSON.parse(await read("package-lock.json"));
for (const { dir } of packages)
  if (lock.packages?.[`packages/${dir}`]?.version !== version) problems.push(`package-lock.json: packages/${dir} is not at ${version}`);

if (problems.length) {
  console.error(`release check failed:\n- ${problems.join("\n- ")}`);
  process.exit(1);
}
console.log(`   ${packages.length} packages at ${version}, with changelogs, internal ranges and lockfile in step`);
