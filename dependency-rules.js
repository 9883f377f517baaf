// The dependency graph (README and CONTRIBUTING, Architecture), in one place: ESLint's
// no-restricted-imports (eslint.config.js) and packages/testkit/src/architecture.test.ts both
// read it, so the two checks cannot drift apart.

/** Which of our packages each package may depend on: data flows one way. */
export const ALLOWED = {
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

/** Each third-party I/O client lives in one package (a trailing /* covers a scope). */
export const CLIENT_OWNERS = {
  knex: "warehouse",
  pg: "warehouse",
  "pg-copy-streams": "warehouse",
  mysql2: "warehouse",
  "better-sqlite3": "warehouse",
  "@duckdb/*": "warehouse",
  "@google-cloud/bigquery": "warehouse",
  "snowflake-sdk": "warehouse",
  undici: "tiktok",
  "@octokit/*": "github",
  "@actions/*": "github-action",
};

/** Whether a dependency name is that client (or in its scope). */
export const isClient = (dependency, client) =>
  client.endsWith("/*") ? dependency.startsWith(client.slice(0, -1)) : dependency === client;
