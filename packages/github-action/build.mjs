// Bundles the action into files that run with no install: GitHub runs dist/index.js as is,
// which runs dist/run.js (everything else) in a worker thread. `node build.mjs [outdir]`.
import { build } from "esbuild";

await build({
  entryPoints: { index: "src/index.ts", run: "src/run.ts" },
  outdir: process.argv[2] ?? "dist",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  conditions: ["@ferry/source"],
  // CommonJS dependencies (knex, pg, @actions/core) call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __ferryRequire } from 'node:module';\nconst require = __ferryRequire(import.meta.url);" },
  // Native code: the action takes it from its own checkout or the workspace (src/native.cjs).
  alias: { "better-sqlite3": "./src/better-sqlite3.cjs", "@duckdb/node-bindings": "./src/duckdb-bindings.cjs" },
  // Drivers for warehouses the action does not support (knex loads them only when used), and
  // the cloud warehouses' clients, which Ferry loads only for their URLs: a workflow on BigQuery
  // or Snowflake installs the one it needs (README, GitHub Actions).
  external: [
    "sqlite3",
    "oracledb",
    "tedious",
    "mysql",
    "mariadb",
    "mariadb/*",
    "pg-native",
    "cloudflare:sockets",
    "@google-cloud/bigquery",
    "snowflake-sdk",
  ],
  minify: true,
  legalComments: "none",
  logLevel: "warning",
});
