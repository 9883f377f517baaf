import { spawn } from "node:child_process";
import { cp, mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startSandbox, type Sandbox } from "@ferry/tiktok-sandbox";
import {
  activationYaml,
  createOrders,
  createTempWarehouse,
  expectedSent,
  insertOrders,
  rawEmailOf,
  rawPhoneOf,
  startGitHubStandIn,
  testdir,
  type GitHubStandIn,
  type TempWarehouse,
  writeDbtShopManifest,
} from "@ferry/testkit";
import { connect, type Warehouse } from "@ferry/warehouse";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(import.meta.url);
const BUNDLE = path.join(ROOT, "dist/index.js");
const NOW = Date.now();
const GH_TOKEN = "gh-test-token";

type ActionRun = { code: number | null; stdout: string; stderr: string; summary: string; outputs: string };

describe("the bundled action, run as GitHub runs it", () => {
  let temp: TempWarehouse;
  let warehouse: Warehouse;
  let sandbox: Sandbox;
  let github: GitHubStandIn;
  let cwd: string;
  const written: string[] = [];

  beforeEach(async () => {
    temp = await createTempWarehouse("sqlite");
    warehouse = connect(temp.url);
    await createOrders(warehouse);
    await insertOrders(warehouse, 1, 300, NOW);
    sandbox = await startSandbox();
    github = await startGitHubStandIn({ token: GH_TOKEN, pageSize: 2, existing: [{ title: "unrelated", body: "hello" }] });
    cwd = await testdir({
      "activations/ferry.yml":
        "version: 1\nwarehouses:\n  shop:\n    url_env: SHOP_WAREHOUSE_URL\ndefaults:\n  phone_default_region: FR\n  warnings:\n    github_issue:\n      labels: [ferry, tiktok]\n",
      "activations/orders.yml": activationYaml({ name: "orders", warehouse: "shop", query: "select * from orders", schedule: "0 6 * * *" }),
      "activations/orders-quiet.yml": activationYaml({
        name: "orders-quiet",
        warehouse: "shop",
        query: "select * from orders",
        schedule: "daily",
        warningsEnabled: false,
        eventSetId: "7100000000000000002",
      }),
      "activations/orders-hourly.yml": activationYaml({
        name: "orders-hourly",
        warehouse: "shop",
        query: "select * from orders",
        schedule: "hourly",
        eventSetId: "7100000000000000003",
      }),
    });
  });
  afterEach(async () => {
    await github.close();
    await sandbox.close();
    await warehouse.close();
    await temp.drop();
  });

  async function runAction(
    inputs: Record<string, string>,
    event: { name: string; payload: object },
    bundle = BUNDLE,
    extraEnv: Record<string, string> = {},
  ): Promise<ActionRun> {
    const dir = path.join(tmpdir(), `ferry-action-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const files = { event: `${dir}-event.json`, summary: `${dir}-summary.md`, output: `${dir}-output.txt` };
    await writeFile(files.event, JSON.stringify(event.payload));
    await writeFile(files.summary, "");
    await writeFile(files.output, "");
    const env: Record<string, string> = {
      PATH: process.env["PATH"] ?? "",
      GITHUB_ACTIONS: "true",
      GITHUB_WORKSPACE: cwd,
      GITHUB_REPOSITORY: "acme/shop",
      GITHUB_API_URL: github.url,
      GITHUB_SERVER_URL: "https://github.example",
      GITHUB_RUN_ID: "4242",
      GITHUB_EVENT_NAME: event.name,
      GITHUB_EVENT_PATH: files.event,
      GITHUB_STEP_SUMMARY: files.summary,
      GITHUB_OUTPUT: files.output,
      SHOP_WAREHOUSE_URL: temp.url,
      TIKTOK_ACCESS_TOKEN: sandbox.token,
      TIKTOK_API_BASE_URL: sandbox.url,
      "INPUT_GITHUB-TOKEN": GH_TOKEN,
      "INPUT_DRY-RUN": "false",
      INPUT_PATH: "activations",
      INPUT_ACTIVATIONS: "",
      ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
      ...extraEnv,
    };
    const child = spawn(process.execPath, [bundle], { cwd, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    const result = { code, stdout, stderr, summary: await readFile(files.summary, "utf8"), outputs: await readFile(files.output, "utf8") };
    // The runner consumes ::add-mask:: lines (that is how it learns secrets); everything else is scanned.
    written.push(
      stdout
        .split("\n")
        .filter((l) => !l.startsWith("::add-mask::"))
        .join("\n"),
      stderr,
      result.summary,
      result.outputs,
    );
    return result;
  }

  it("opens one issue on warnings, comments on the next, closes it when healthy, and leaks nothing", async () => {
    const schedule = { name: "schedule", payload: { schedule: "0 6 * * *" } };
    const first = await runAction({ command: "run" }, schedule);
    expect(first.code).toBe(0);
    // Only the activation scheduled at the cron that fired ran.
    expect(first.outputs).toContain("activations<<");
    expect(first.outputs).toMatch(/activations<<[^\n]*\norders\n/);
    expect(first.summary).toContain("| orders | ⚠️ warnings | 300 | 210 | 90 (");
    expect(first.summary).toContain("[#2](");
    expect(first.stdout).toContain("::warning title=ferry%3A rejected_share,file=activations/orders.yml::");
    const opened = github.issues.filter((i) => i.title.startsWith("Ferry:"));
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ number: 2, title: "Ferry: orders needs attention", state: "open", labels: ["ferry", "tiktok"] });
    expect(opened[0]!.body).toContain("https://github.example/acme/shop/actions/runs/4242");

    await insertOrders(warehouse, 301, 400, NOW);
    const second = await runAction({ command: "run" }, schedule);
    expect(second.code).toBe(0);
    expect(github.issues.filter((i) => i.title.startsWith("Ferry:"))).toHaveLength(1);
    expect(github.issues[1]!.comments).toHaveLength(1);
    expect(second.summary).toContain("commented");

    const third = await runAction({ command: "run" }, schedule);
    expect(third.code).toBe(0);
    expect(github.issues[1]!.state).toBe("closed");
    expect(third.summary).toContain("| orders | ✅ ok | 0 | 0 | 0 |");

    // Manual dispatch runs all activations, or those named; warnings off means no issue.
    const dispatched = await runAction({ command: "run" }, { name: "workflow_dispatch", payload: { inputs: {} } });
    expect(dispatched.code).toBe(0);
    for (const name of ["orders", "orders-quiet", "orders-hourly"]) expect(dispatched.summary).toContain(`| ${name} |`);
    expect(github.issues.filter((i) => i.title === "Ferry: orders-quiet needs attention")).toHaveLength(0);
    expect(github.issues.filter((i) => i.title === "Ferry: orders-hourly needs attention")).toHaveLength(1);

    const everything = [...written, ...github.bodies, ...github.issues.flatMap((i) => [i.body, ...i.comments.map((c) => c.body)])].join(
      "\n",
    );
    for (let id = 1; id <= 400; id++) {
      expect(everything.toLowerCase()).not.toContain(rawEmailOf(id).toLowerCase());
      expect(everything).not.toContain(rawPhoneOf(id));
    }
    expect(everything).not.toContain(sandbox.token);
    expect(everything).not.toContain(GH_TOKEN);
  });

  it("after a dbt workflow succeeds (workflow_run), runs the activations on dbt models, and nothing after a failure", async () => {
    // dbt built pos_purchases as the relation fct_pos_purchases in SQLite's main schema.
    await warehouse.execute("CREATE VIEW fct_pos_purchases AS SELECT * FROM orders");
    await writeDbtShopManifest(cwd, { database: "main", schema: "main" });
    await writeFile(
      path.join(cwd, "activations/orders-dbt.yml"),
      activationYaml({ name: "orders-dbt", warehouse: "shop", dbtModel: "pos_purchases", eventSetId: "7100000000000000004" }),
    );

    const failed = await runAction(
      { command: "run" },
      { name: "workflow_run", payload: { workflow_run: { name: "dbt build", conclusion: "failure" } } },
    );
    expect(failed.code).toBe(0);
    expect(failed.stdout).toContain('Nothing to run after "dbt build" (failure)');
    expect(sandbox.acceptedIds()).toHaveLength(0);

    const after = await runAction(
      { command: "run" },
      { name: "workflow_run", payload: { workflow_run: { name: "dbt build", conclusion: "success" } } },
    );
    expect(after.code).toBe(0);
    expect(after.outputs).toMatch(/activations<<[^\n]*\norders-dbt\n/);
    expect(after.summary).toContain("| orders-dbt | ⚠️ warnings | 300 | 210 | 90 (");
    expect(sandbox.acceptedIds()).toHaveLength(210);
  });

  it("runs what it can when a dbt model has no manifest in this job, then fails the step naming it", async () => {
    await writeFile(
      path.join(cwd, "activations/orders-dbt.yml"),
      activationYaml({
        name: "orders-dbt",
        warehouse: "shop",
        dbtModel: "pos_purchases",
        schedule: "30 5 * * *",
        eventSetId: "7100000000000000004",
      }),
    );
    // A Snowflake URL names the variables of its key and password: the runner is told to mask both.
    const key = "-----BEGIN PRIVATE KEY-----MIIEvQIBADANBgkq-----END PRIVATE KEY-----";
    const masked = await runAction({ command: "validate" }, { name: "pull_request", payload: {} }, BUNDLE, {
      SHOP_WAREHOUSE_URL: "snowflake://ferry@acme-xy12345/ANALYTICS?private_key_env=SF_KEY&password_env=SF_PASSWORD",
      SF_KEY: key,
      SF_PASSWORD: "hunter2-snow",
    });
    expect(masked.stdout).toContain(`::add-mask::${key}`);
    expect(masked.stdout).toContain("::add-mask::hunter2-snow");
    // Validating needs no manifest: a warning on the file.
    const validate = await runAction({ command: "validate" }, { name: "pull_request", payload: {} });
    expect(validate.code).toBe(0);
    expect(validate.stdout).toContain("::warning title=ferry%3A no_dbt_manifest,file=activations/orders-dbt.yml");
    // A schedule that does not select it runs as ever.
    const scheduled = await runAction({ command: "run" }, { name: "schedule", payload: { schedule: "0 6 * * *" } });
    expect(scheduled.code).toBe(0);
    expect(scheduled.summary).toContain("| orders |");
    // Running everything: the others run, then the step fails and says why.
    const all = await runAction({ command: "run" }, { name: "workflow_dispatch", payload: {} });
    expect(all.code).toBe(1);
    expect(all.summary).toContain("| orders-hourly |");
    expect(all.stdout).toContain("::error title=ferry%3A unresolved_dbt_model::orders-dbt: dbt model");
    expect(all.stdout).toContain("::error::orders-dbt did not run: its dbt model needs dbt's manifest in this job");
  });

  it("lists the activations an event selects, as JSON for a matrix of one job per activation", async () => {
    const selected = (r: ActionRun) => JSON.parse(/^selected<<(\S+)\n([\s\S]*?)\n\1$/m.exec(r.outputs)?.[2] ?? "null") as unknown;
    const scheduled = await runAction({ command: "list" }, { name: "schedule", payload: { schedule: "0 6 * * *" } });
    expect(scheduled.code).toBe(0);
    expect(selected(scheduled)).toEqual(["orders"]);
    const all = await runAction({ command: "list" }, { name: "workflow_dispatch", payload: { inputs: {} } });
    expect((selected(all) as string[]).sort()).toEqual(["orders", "orders-hourly", "orders-quiet"]);
    const named = await runAction({ command: "list", activations: "orders-quiet" }, { name: "workflow_dispatch", payload: {} });
    expect(selected(named)).toEqual(["orders-quiet"]);
    const none = await runAction({ command: "list" }, { name: "schedule", payload: { schedule: "5 4 * * *" } });
    expect(none.code).toBe(0);
    expect(selected(none)).toEqual([]);
    // Listing sends nothing.
    expect(sandbox.stats().accepted).toBe(0);
  });

  it("takes SQLite's driver from the workspace when its own checkout has none, and says how to install it", async () => {
    // The action as GitHub checks it out: the bundle alone, no node_modules anywhere above it.
    const checkout = path.join(tmpdir(), `ferry-action-checkout-${process.pid}-${Math.random().toString(36).slice(2)}`);
    await cp(path.join(ROOT, "dist"), checkout, { recursive: true });
    const bundle = path.join(checkout, "index.js");
    try {
      const missing = await runAction({ command: "run", activations: "orders" }, { name: "workflow_dispatch", payload: {} }, bundle);
      expect(missing.code).toBe(1);
      expect(missing.stdout).toContain("SQLite needs the better-sqlite3 driver, which the Ferry action cannot bundle");
      expect(missing.stdout).toContain("- run: npm install --no-save better-sqlite3@12");
      expect(missing.stdout).not.toContain("Knex: run");
      expect(sandbox.stats().accepted).toBe(0);

      // What the message says to do: the driver installed in the workspace.
      await mkdir(path.join(cwd, "node_modules"), { recursive: true });
      await symlink(path.dirname(require.resolve("better-sqlite3/package.json")), path.join(cwd, "node_modules/better-sqlite3"), "dir");
      const installed = await runAction({ command: "run", activations: "orders" }, { name: "workflow_dispatch", payload: {} }, bundle);
      expect(installed.code, installed.stdout).toBe(0);
      expect(sandbox.stats().accepted).toBeGreaterThan(0);
    } finally {
      await rm(checkout, { recursive: true, force: true });
    }
  });

  it("runs on DuckDB from the bundle, its native part taken from the workspace, and says how to install it", async () => {
    const duck = await createTempWarehouse("duckdb");
    const seeding = connect(duck.url);
    await createOrders(seeding);
    await insertOrders(seeding, 1, 50, NOW);
    await seeding.close();
    const checkout = path.join(tmpdir(), `ferry-action-checkout-${process.pid}-${Math.random().toString(36).slice(2)}`);
    await cp(path.join(ROOT, "dist"), checkout, { recursive: true });
    const bundle = path.join(checkout, "index.js");
    const run = () =>
      runAction({ command: "run", activations: "orders" }, { name: "workflow_dispatch", payload: {} }, bundle, {
        SHOP_WAREHOUSE_URL: duck.url,
      });
    try {
      const missing = await run();
      expect(missing.code).toBe(1);
      expect(missing.stdout).toContain("DuckDB needs the @duckdb/node-bindings driver, which the Ferry action cannot bundle");
      expect(missing.stdout).toContain("npm install --no-save @duckdb/node-bindings@");
      expect(sandbox.stats().accepted).toBe(0);
      // What the message says to do: the native part installed in the workspace.
      await mkdir(path.join(cwd, "node_modules/@duckdb"), { recursive: true });
      const bindings = path.dirname(require.resolve("@duckdb/node-bindings/package.json", { paths: [path.join(ROOT, "../warehouse")] }));
      await symlink(bindings, path.join(cwd, "node_modules/@duckdb/node-bindings"), "dir");
      const installed = await run();
      expect(installed.code, installed.stdout).toBe(0);
      expect(sandbox.stats().accepted).toBe(expectedSent(1, 50));
    } finally {
      await rm(checkout, { recursive: true, force: true });
      await duck.drop();
    }
  });

  it("fails the step on a concurrency input out of range, before running anything", async () => {
    const r = await runAction({ command: "run", concurrency: "0" }, { name: "workflow_dispatch", payload: {} });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("takes a whole number from 1 to 32");
    expect(sandbox.stats().accepted).toBe(0);
  });

  it("fails the step on a failed run and on invalid configuration", async () => {
    const revoked = await runAction({ command: "run", activations: "orders" }, { name: "workflow_dispatch", payload: {} });
    expect(revoked.code).toBe(0);
    sandbox.setFaults({ revokeTokenAfter: 0 });
    await insertOrders(warehouse, 301, 310, NOW);
    const failed = await runAction({ command: "run", activations: "orders" }, { name: "workflow_dispatch", payload: {} });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain("::error::1 activation run failed: orders");
    expect(github.issues[1]!.comments.at(-1)?.body).toContain("auth_failed");

    await writeFile(
      path.join(cwd, "activations/orders.yml"),
      activationYaml({ name: "orders", warehouse: "shop" }).replace("CompletePayment", "CompletPayment"),
    );
    const invalid = await runAction({ command: "validate" }, { name: "pull_request", payload: {} });
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toContain("::error title=ferry%3A unknown_event,file=activations/orders.yml,line=");
  });
});

describe("the bundled action on a pull request", () => {
  /** A repository with `base` committed, then changed by `change`; runs `plan` `times` times. */
  async function planOnPullRequest(
    base: Record<string, string>,
    change: (cwd: string, git: (...args: string[]) => Promise<string>) => Promise<void>,
    times = 1,
  ) {
    const github = await startGitHubStandIn({ token: GH_TOKEN, existing: [{ title: "Change activations", body: "", pull_request: {} }] });
    const cwd = await testdir(base);
    const git = async (...args: string[]) => {
      const child = spawn("git", args, {
        cwd,
        env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" },
      });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d));
      expect(await new Promise((resolve) => child.on("close", resolve))).toBe(0);
      return out.trim();
    };
    await git("init", "-q");
    await git("add", ".");
    await git("commit", "-qm", "base");
    const sha = await git("rev-parse", "HEAD");
    await change(cwd, git);

    const event = path.join(tmpdir(), `ferry-pr-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(event, JSON.stringify({ pull_request: { number: 1, base: { sha } } }));
    const env = {
      PATH: process.env["PATH"] ?? "",
      GITHUB_WORKSPACE: cwd,
      GITHUB_REPOSITORY: "acme/shop",
      GITHUB_API_URL: github.url,
      GITHUB_EVENT_NAME: "pull_request",
      GITHUB_EVENT_PATH: event,
      GITHUB_STEP_SUMMARY: `${event}.summary.md`,
      INPUT_COMMAND: "plan",
      INPUT_PATH: "activations",
      "INPUT_GITHUB-TOKEN": GH_TOKEN,
    };
    await writeFile(env.GITHUB_STEP_SUMMARY, "");
    const codes: (number | null)[] = [];
    for (let i = 0; i < times; i++) {
      const child = spawn(process.execPath, [BUNDLE], { cwd, env });
      codes.push(await new Promise<number | null>((resolve) => child.on("close", resolve)));
    }
    const comments = github.issues[0]!.comments.map((c) => c.body);
    await github.close();
    return { codes, comments };
  }

  it("keeps one comment with the plan of what changed since the base commit", async () => {
    const { codes, comments } = await planOnPullRequest(
      {
        "activations/orders.yml": activationYaml({ name: "orders", query: "select * from orders" }),
        "activations/old.yml": activationYaml({ name: "old", eventSetId: "7100000000000000009" }),
      },
      async (cwd, git) => {
        await writeFile(
          path.join(cwd, "activations/orders.yml"),
          activationYaml({
            name: "orders",
            query: "select * from orders",
            mapping: { event_time: "purchased_at", email: "email", value: "amount", currency: "currency" },
          }),
        );
        await writeFile(
          path.join(cwd, "activations/new.yml"),
          activationYaml({ name: "new", eventSetId: "7100000000000000008", event: "Purchase" }),
        );
        await git("rm", "-q", "activations/old.yml");
      },
      2,
    );
    expect(codes).toEqual([0, 0]);
    expect(comments).toHaveLength(1);
    const body = comments[0]!;
    expect(body).toContain("<!-- ferry:plan -->");
    expect(body).toContain("### ➕ new (new)");
    expect(body).toContain("### ➖ old (removed)");
    expect(body).toContain("### ✏️ orders (changed)");
    expect(body).toContain("| mapping.phone | `phone` | — |");
    expect(body).toContain("| mapping.order_id | `order_id` | — |");
    expect(body).toContain("rows rejected before will be tried again");
  });

  it("calls a broken file an error and a dbt model without manifest unplanned, never removed", async () => {
    const { codes, comments } = await planOnPullRequest(
      {
        "activations/orders.yml": activationYaml({ name: "orders", query: "select * from orders" }),
        "activations/leads.yml": activationYaml({ name: "leads", eventSetId: "7100000000000000007" }),
        "activations/orders-dbt.yml": activationYaml({ name: "orders-dbt", dbtModel: "pos_purchases", eventSetId: "7100000000000000006" }),
      },
      async (cwd) => {
        await writeFile(
          path.join(cwd, "activations/leads.yml"),
          activationYaml({ name: "leads", eventSetId: "7100000000000000007" }).replace("CompletePayment", "CompletPayment"),
        );
        await writeFile(
          path.join(cwd, "activations/orders.yml"),
          activationYaml({ name: "orders", query: "select * from orders", batchSize: 500 }),
        );
      },
    );
    expect(codes).toEqual([1]);
    const body = comments[0]!;
    expect(body).toMatch(/🛑 \*\*1 configuration error\*\*[^]*`activations\/leads\.yml:\d+`/);
    expect(body).toContain("ℹ️ orders-dbt is not planned: its dbt model needs dbt's manifest in this job");
    expect(body).toContain("### ✏️ orders (changed)");
    expect(body).not.toContain("(removed)");
  });
});

describe("the committed bundle", () => {
  it("is what the sources build (run `npm run build -w @ferry/github-action` and commit)", async () => {
    const fresh = path.join(tmpdir(), `ferry-bundle-${process.pid}`);
    const child = spawn(process.execPath, [path.join(ROOT, "build.mjs"), fresh], { cwd: ROOT, stdio: "inherit" });
    expect(await new Promise((resolve) => child.on("close", resolve))).toBe(0);
    for (const file of ["index.js", "run.js"]) {
      expect((await readFile(path.join(fresh, file), "utf8")) === (await readFile(path.join(ROOT, "dist", file), "utf8")), file).toBe(true);
    }
    await rm(fresh, { recursive: true, force: true });
  });
});
