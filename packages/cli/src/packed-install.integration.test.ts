// Ferry as a data team gets it: the packages packed as the registry would serve them, installed
// into an empty project outside this repository, then driven through `npx ferry` from `init` to
// a run against the local sandbox on SQLite. It catches workspace-only dependencies, files left
// out of a package and a bin that only works here.
import { execFile, spawn } from "node:child_process";
import { lstat, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const REPO = fileURLToPath(new URL("../../..", import.meta.url));
/** What `npm install @ferry/cli` brings of Ferry's own packages. */
const PACKAGES = ["cli", "engine", "schema", "tiktok", "tiktok-sandbox", "warehouse"];
const INSTALL_TIMEOUT = 10 * 60_000; // better-sqlite3 compiles from source where no prebuilt binary can be fetched

// The test runs under `npm test`, whose npm_* variables would point a nested npm at this repository.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_|^INIT_CWD$|^FERRY_|^TIKTOK_|^WAREHOUSE_URL$/i.test(k)));

describe("the packed packages, installed outside the repository", () => {
  let project: string;
  let tarballFiles: string[];
  const npx = (args: string[], extra: Record<string, string> = {}) =>
    exec("npx", ["ferry", ...args], { cwd: project, env: { ...env, ...extra } }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  beforeAll(async () => {
    const root = await mkdtemp(path.join(tmpdir(), "ferry-packed-"));
    const tarballs = path.join(root, "tarballs");
    project = path.join(root, "shop-analytics");
    await exec("mkdir", ["-p", tarballs, project]);
    for (const name of PACKAGES)
      await exec("npm", ["pack", "--workspace", `@ferry/${name}`, "--pack-destination", tarballs, "--silent"], { cwd: REPO, env });
    await exec("npm", ["init", "-y"], { cwd: project, env });
    // As the README tells users: approve SQLite's driver's install script (npm 11.19+ warns otherwise).
    await exec("npm", ["pkg", "set", "allowScripts.better-sqlite3=true", "--json"], { cwd: project, env });
    const files = (tarballFiles = (await readdir(tarballs)).map((f) => path.join(tarballs, f)));
    await exec("npm", ["install", "--save-dev", "--no-audit", "--no-fund", "--prefer-offline", ...files], {
      cwd: project,
      env,
      timeout: INSTALL_TIMEOUT,
    });
  }, INSTALL_TIMEOUT);
  afterAll(async () => {
    if (project) await rm(path.dirname(project), { recursive: true, force: true });
  });

  it("installs real packages, not links into the workspace", async () => {
    for (const name of PACKAGES) {
      const dir = path.join(project, "node_modules/@ferry", name);
      expect((await lstat(dir)).isSymbolicLink(), name).toBe(false);
      const manifest = JSON.parse(await readFile(path.join(dir, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
      for (const [dep, range] of Object.entries(manifest.dependencies ?? {}))
        if (dep.startsWith("@ferry/")) expect(range, `${name} → ${dep}`).toMatch(/^\^\d+\.\d+\.\d+$/);
    }
    expect(await readFile(path.join(project, "node_modules/@ferry/schema/schemas/activation.schema.json"), "utf8")).toContain('"$schema"');
  });

  it("goes from `ferry init` to a run against `ferry sandbox` on SQLite", async () => {
    const help = await npx(["--help"]);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain("ferry init");
    const version = await npx(["--version"]);
    const { version: cliVersion } = JSON.parse(await readFile(path.join(REPO, "packages/cli/package.json"), "utf8")) as { version: string };
    expect(version.stdout.trim()).toBe(cliVersion);

    const init = await npx(["init"]);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain("created activations/purchases.yml");
    const validate = await npx(["validate"]);
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);

    // The warehouse the example reads: a few orders of the last days.
    const db = new Database(path.join(project, "shop.db"));
    db.exec("create table orders (order_id text primary key, completed_at text, email text, phone text, amount real, currency text)");
    const insert = db.prepare("insert into orders values (?, ?, ?, ?, ?, ?)");
    const day = 86_400_000;
    for (let i = 1; i <= 25; i++)
      insert.run(
        `o-${i}`,
        new Date(Date.now() - (i % 5) * day - 3_600_000).toISOString(),
        ` Buyer${i}@Example.com `,
        `(415) 555-01${String(i).padStart(2, "0")}`,
        10 + i,
        "USD",
      );
    db.close();

    const sandbox = spawn("npx", ["ferry", "sandbox", "--port", "0", "--token", "packed-token"], { cwd: project, env });
    try {
      let out = "";
      const url = await new Promise<string>((resolve, reject) => {
        sandbox.stdout.on("data", (d: Buffer) => {
          out += d;
          const found = /listening on (http:\/\/\S+)/.exec(out);
          if (found) resolve(found[1]!);
        });
        sandbox.on("exit", (code) => reject(new Error(`ferry sandbox exited (${code}): ${out}`)));
      });
      const runEnv = { WAREHOUSE_URL: "sqlite:./shop.db", TIKTOK_ACCESS_TOKEN: "packed-token", TIKTOK_API_BASE_URL: url };
      const first = await npx(["run"], runEnv);
      expect(first.code, first.stdout + first.stderr).toBe(0);
      expect(first.stdout).toMatch(/purchases: .*25 sent/);
      const stats = (await (await fetch(`${url}/sandbox/stats`)).json()) as { accepted: number };
      expect(stats.accepted).toBe(25);
      const second = await npx(["run"], runEnv);
      expect(second.code).toBe(0);
      expect(((await (await fetch(`${url}/sandbox/stats`)).json()) as { accepted: number }).accepted).toBe(25);
      // Personal data never reaches the output.
      expect(first.stdout + first.stderr).not.toMatch(/buyer\d+@example\.com|555-01/i);
    } finally {
      sandbox.kill("SIGINT");
    }
  });

  it("says how to build SQLite's driver when its install script did not run", async () => {
    const bare = path.join(path.dirname(project), "no-scripts");
    await exec("mkdir", ["-p", bare]);
    await exec("npm", ["init", "-y"], { cwd: bare, env });
    const install = ["install", "--save-dev", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts", ...tarballFiles];
    await exec("npm", install, { cwd: bare, env, timeout: INSTALL_TIMEOUT });
    await exec("npx", ["ferry", "init"], { cwd: bare, env });
    const run = await exec("npx", ["ferry", "run"], {
      cwd: bare,
      env: { ...env, WAREHOUSE_URL: "sqlite:./shop.db", TIKTOK_ACCESS_TOKEN: "t" },
    }).then(
      () => ({ code: 0, stdout: "", stderr: "" }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toContain(
      "SQLite's driver (better-sqlite3) is installed without its native part: its install script did not run (npm --ignore-scripts, or strict-allow-scripts without an approval). Run `npm install-scripts approve better-sqlite3 && npm rebuild better-sqlite3`",
    );
  });
});
