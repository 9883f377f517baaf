import { spawn } from "node:child_process";
import { open, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { testdir } from "@ferry/testkit";
import { connect } from "@ferry/warehouse";
import { expect, it } from "vitest";
import { runFerry } from "./testing.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const BIN = fileURLToPath(new URL("../bin/ferry.js", import.meta.url));
// The demo's people: their addresses end at these domains, their phones are French mobiles.
const EMAIL = /[^\s"'|]+@(gmail\.com|orange\.fr|free\.fr|outlook\.com|yahoo\.fr|laposte\.net)/i;
// Not inside a run of digits or hex: "00336" occurs by chance in hashes and epoch times.
const PHONE = /(?<![0-9a-f])(\+33|0033)\s?\(?0?\)?\s?6|\b06 1\d \d\d/;
/** Text without its hex digests (16 digits or more): one that starts "00336" reads as a French mobile (seen in CI). */
const withoutDigests = (text: string) => text.replace(/[0-9a-f]{16,}/g, "#");

/** A project holding the repository's example activations, as the demo expects. */
async function demoProject(): Promise<string> {
  const files: Record<string, string> = {};
  for (const name of await readdir(path.join(ROOT, "activations")))
    files[`activations/${name}`] = await readFile(path.join(ROOT, "activations", name), "utf8");
  return testdir(files);
}

it.each([
  ["sqlite", "sqlite:", "warehouse.db", "ferry_"],
  ["duckdb", "duckdb:", "warehouse.duckdb", "ferry."],
] as const)(
  "runs the demo end to end on %s, twice, and nothing it prints or stores holds an email or a phone",
  async (kind, scheme, file, tables) => {
    const cwd = await demoProject();
    const first = await runFerry(["demo", "--warehouse", kind], { cwd, env: {} });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("1. First run");
    expect(first.stdout).toMatch(/pos-purchases: 0 sent, 0 rejected of \d+ new rows/);
    expect(first.stdout).toContain("3. New conversions arrive");

    expect(first.stdout).toContain(`warehouse .ferry/demo/${file}`);
    const warehouse = connect(`${scheme}${path.join(cwd, ".ferry/demo", file)}`);
    try {
      // The warehouse itself holds the people (that is the demo's data); Ferry's state must not.
      const people = JSON.stringify(await warehouse.execute("SELECT * FROM pos_orders LIMIT 50"));
      expect(people).toMatch(EMAIL);
      expect(people).toMatch(PHONE);
      const state = JSON.stringify([
        await warehouse.execute(`SELECT * FROM ${tables}acked`),
        await warehouse.execute(`SELECT * FROM ${tables}rejected`),
        await warehouse.execute(`SELECT * FROM ${tables}runs`),
      ]);
      expect(state.length).toBeGreaterThan(10_000);
      expect(state).not.toMatch(EMAIL);
      expect(withoutDigests(state)).not.toMatch(PHONE);
    } finally {
      await warehouse.close();
    }
    for (const text of [first.stdout, first.stderr]) {
      expect(text).not.toMatch(EMAIL);
      expect(withoutDigests(text)).not.toMatch(PHONE);
    }
  },
);

it("keeps the order of what the binary prints to stdout and to stderr, as written", async () => {
  const cwd = await demoProject();
  // One file for both streams, as `ferry demo > log 2>&1` makes: the command runs in a worker
  // thread, and its two streams used to reach the process's by two relays, out of order.
  const log = path.join(cwd, "log.txt");
  const out = await open(log, "w");
  const child = spawn(process.execPath, [BIN, "demo"], {
    cwd,
    env: { PATH: process.env["PATH"] ?? "" },
    stdio: ["ignore", out.fd, out.fd],
  });
  expect(await new Promise((resolve) => child.on("close", resolve))).toBe(0);
  await out.close();
  const lines = (await readFile(log, "utf8")).split("\n");
  const at = (pattern: RegExp, from = 0) => lines.findIndex((l, i) => i >= from && pattern.test(l));
  let step = 0;
  for (const [heading, activations] of [
    [/^1\. First run/, ["crm-leads", "pos-purchases", "subscriptions"]],
    [/^2\. Second run/, ["crm-leads", "pos-purchases", "subscriptions"]],
    [/^3\. New conversions/, ["pos-purchases"]],
  ] as const) {
    const next = at(heading, step);
    expect(next, `${heading} after the step before`).toBeGreaterThan(step - 1);
    // Between the step's heading and its first summary: its runs' "started" lines, and only them.
    const summary = at(/^[✔⚠✖] /, next);
    const started = lines.slice(next + 1, summary).filter((l) => l.endsWith(" started"));
    expect(started.map((l) => l.split(":")[0])).toEqual(activations);
    step = summary;
  }
});
