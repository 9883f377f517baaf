import { createRequire } from "node:module";

type Manifest = { version: string; repository?: { url?: string }; engines?: { node?: string } };

// One source for what this build of Ferry is and where it is published: the CLI's package.json
// (the same file from src/ and dist/), so a release changes nothing here.
const manifest = createRequire(import.meta.url)("../package.json") as Manifest;

export const VERSION = manifest.version;

/** owner/name of the GitHub repository Ferry is published from. */
export const REPOSITORY = /github\.com[/:]([^/]+\/[^/.]+)/.exec(manifest.repository?.url ?? "")?.[1] ?? "ferry-dev/ferry";

/** The tag users pin: the moving major tag from 1.0 on, the exact version before it. */
const track = (version: string) => {
  const major = Number(version.split(".")[0]);
  return major >= 1 ? String(major) : version;
};

/** `uses:` of the Ferry action at this release. */
export const ACTION_REF = `${REPOSITORY}/packages/github-action@v${track(VERSION)}`;

/** The published JSON Schema of a file kind, for the `yaml-language-server` line. */
export const schemaUrl = (file: "activation" | "project") =>
  `https://unpkg.com/@ferry/schema@${track(VERSION)}/schemas/${file}.schema.json`;

/** The lowest Node.js version Ferry supports, from `engines` (">=20.19"). */
export const MIN_NODE = /(\d+)\.(\d+)/
  .exec(manifest.engines?.node ?? "")
  ?.slice(1)
  .map(Number) ?? [20, 19];

/** A message when this Node.js is older than Ferry supports, else undefined. */
export function unsupportedNode(version: string = process.versions.node): string | undefined {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  const [minMajor = 0, minMinor = 0] = MIN_NODE;
  if (major > minMajor || (major === minMajor && minor >= minMinor)) return undefined;
  return `Ferry needs Node.js ${minMajor}.${minMinor} or later (22 or 24 recommended); this is Node.js ${version}. Install a current LTS from https://nodejs.org or with your version manager (e.g. \`nvm install 24\`).`;
}
