// `npm pack` and `npm publish` ship the JSON Schemas generated into the repository's schemas/,
// so editors can point a `yaml-language-server` line at the published package.
import { copyFile, mkdir, readdir } from "node:fs/promises";

const from = new URL("../../schemas/", import.meta.url);
const to = new URL("./schemas/", import.meta.url);
await mkdir(to, { recursive: true });
for (const file of await readdir(from)) if (file.endsWith(".schema.json")) await copyFile(new URL(file, from), new URL(file, to));
