import { parseActivation, parseProject, type Project } from "@ferry/schema";
import { createTempWarehouse, SEED, seedNote, type TempWarehouse } from "@ferry/testkit";
import { createTikTokClient, REJECT_REASONS } from "@ferry/tiktok";
import { startSandbox } from "@ferry/tiktok-sandbox";
import { connect } from "@ferry/warehouse";
import fc from "fast-check";
import { expect, it } from "vitest";
import { compile } from "../compile/compile.js";
import { run } from "./run.js";

const NOW = Date.now();

/** Values a SQLite column can hold, chosen to hurt: control characters, unicode, huge text, extremes, blobs. */
const cell = fc.oneof(
  fc.constant(null),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: fc.constantFrom("\u0000", "\n", "\u001f", "\u200b", "é", "😀", "@", ".", " ", "+", "6", "0"), maxLength: 30 }),
  fc.nat(10).map((n) => "y".repeat(n * 5000)),
  fc.double({ noNaN: true }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a)),
  fc.constantFrom(
    "1970-01-01 00:00:00",
    "9999-12-31 23:59:59",
    "0000-00-00",
    new Date(NOW - 3_600_000).toISOString(),
    "Ann@Example.com",
    "+33 6 12 34 56 78",
    "EUR",
    "12,50",
    "0",
  ),
);

it(`a run over hostile warehouse values never crashes: each row is sent or rejected with a reason (${seedNote})`, async () => {
  const rows = fc.sample(fc.record({ at: cell, email: cell, phone: cell, amount: cell, cur: cell }), { seed: SEED, numRuns: 300 });
  const temp: TempWarehouse = await createTempWarehouse("sqlite");
  const warehouse = connect(temp.url);
  const sandbox = await startSandbox();
  const tiktok = createTikTokClient({ baseUrl: sandbox.url, accessToken: sandbox.token, backoff: { baseMs: 1, maxMs: 5 } });
  try {
    // Untyped columns: SQLite keeps each value as given, as a messy upstream table would.
    await warehouse.execute("CREATE TABLE hostile (id INTEGER PRIMARY KEY, at, email, phone, amount, cur)");
    for (const [i, r] of rows.entries())
      await warehouse.execute("INSERT INTO hostile VALUES (?, ?, ?, ?, ?, ?)", [i + 1, r.at, r.email, r.phone, r.amount, r.cur]);
    const yaml = `version: 1\nname: hostile\ndestination:\n  type: tiktok-offline-conversions\n  advertiser_id: "1"\n  event_set_id: "2"\n  access_token_env: T\nsource:\n  warehouse: w\n  table: hostile\n  primary_key: id\nevent: Purchase\nmapping:\n  event_time: at\n  email: email\n  phone: phone\n  value: amount\n  currency: cur\nschedule: daily\n`;
    const a = parseActivation(yaml, "h.yml");
    const p = parseProject("version: 1\nwarehouses:\n  w:\n    url_env: W\ndefaults:\n  phone_default_region: FR\n", "ferry.yml");
    if (!a.ok || !p.ok) throw new Error("fixture must be valid");
    const plan = compile(
      { file: "h.yml", activation: a.value, project: { file: "ferry.yml", project: p.value as Project } },
      { W: temp.url },
    );

    const report = await run(plan, { warehouse, tiktok });
    expect(report.status).toBe("success");
    expect(report.counts.read).toBe(rows.length);
    expect(report.counts.sent + report.counts.rejected + report.counts.deferred).toBe(rows.length);
    expect(sandbox.stats()).toMatchObject({ accepted: report.counts.sent, refused: 0 });
    for (const reason of Object.keys(report.counts.rejectedByReason)) expect(Object.keys(REJECT_REASONS)).toContain(reason);
    // A second run sends nothing: every row was either acknowledged or remembered as rejected.
    const again = await run(plan, { warehouse, tiktok });
    expect(again.counts.sent).toBe(0);
    expect(again.counts.read).toBe(report.counts.deferred + (report.counts.rejectedByReason.missing_primary_key ?? 0));
  } finally {
    await tiktok.close();
    await sandbox.close();
    await warehouse.close();
    await temp.drop();
  }
});
