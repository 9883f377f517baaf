// Writes schemas/*.schema.json from the zod schemas; `--check` fails when the committed files are stale.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { jsonSchemas } from "../json-schema.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../schemas");
const check = process.argv.includes("--check");
let stale = 0;
for (const [file, content] of Object.entries(jsonSchemas())) {
  const target = path.join(root, file);
  const current = await readFile(target, "utf8").catch(() => undefined);
  if (current === content) continue;
  if (check) {
    stale++;
    console.error(`schemas/${file} is stale: run \`npm run schemas\` and commit the result`);
  } else {
    await writeFile(target, content);
    console.log(`wrote schemas/${file}`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
