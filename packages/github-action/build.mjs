// Bundles the action into one file that runs with no install (GitHub runs dist/index.js as is).
import { build } from "esbuild";

await build({
  entryPoints: ["src/index.ts"],
  outfile: process.argv[2] ?? "dist/index.js",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  conditions: ["@ferry/source"],
  // CommonJS dependencies (knex, pg, @actions/core) call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __ferryRequire } from 'node:module';\nconst require = __ferryRequire(import.meta.url);" },
  // Drivers for warehouses the action does not bundle; knex loads them only when used.
  // better-sqlite3 is a native addon: SQLite needs it installed in the workspace.
  external: ["better-sqlite3", "sqlite3", "oracledb", "tedious", "mysql", "mariadb", "mariadb/*", "pg-native", "cloudflare:sockets"],
  minify: true,
  legalComments: "none",
  logLevel: "warning",
});
