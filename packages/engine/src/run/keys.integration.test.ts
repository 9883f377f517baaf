// Real data repeats keys and leaves them empty: a run must neither fail nor report them anew
// forever, and its report must agree with the state it leaves.
import fc from "fast-check";
import { activationYaml, ALL_WAREHOUSES, describeWarehouses, planFor, runFixture, SEED, seedNote } from "@ferry/testkit";
import { expect, it } from "vitest";
import { run } from "./run.js";

const NOW = Date.now();
const at = (hoursAgo: number) => new Date(NOW - hoursAgo * 3_600_000).toISOString().slice(0, 19).replace("T", " ");
const keysYaml = activationYaml({
  query: "select * from signups",
  primaryKey: "id",
  mapping: { event_time: "at", email: "email" },
  batchSize: 7,
});

describeWarehouses(ALL_WAREHOUSES, (kind) => {
  // No key constraint: the source is a query's output, which may repeat or lack a key.
  const fx = runFixture(kind, (warehouse) =>
    warehouse
      .execute(`CREATE TABLE signups (id VARCHAR(20), ${warehouse.dialect.quotePart("at")} VARCHAR(30), email VARCHAR(100))`)
      .then(() => {}),
  );
  const insert = async (rows: [string | null, string, string][]) => {
    if (rows.length)
      await fx.warehouse.execute(
        `INSERT INTO signups (id, ${fx.warehouse.dialect.quotePart("at")}, email) VALUES ${rows.map(() => "(?, ?, ?)").join(", ")}`,
        rows.flat(),
      );
  };

  it("sends a repeated key's first row, rejects the repeats, and remembers rows without a key", async () => {
    await insert([
      ["a", at(1), "first@example.com"],
      ["a", at(2), "second@example.com"],
      ["b", at(1), "b@example.com"],
      [null, at(1), "x@example.com"],
      [null, at(2), "y@example.com"],
    ]);
    const plan = planFor(fx.temp, keysYaml);
    const first = await run(plan, fx);
    expect(first).toMatchObject({
      status: "success",
      counts: { read: 5, sent: 2, rejected: 3, rejectedByReason: { duplicate_primary_key: 1, missing_primary_key: 2 } },
    });
    expect(first.warnings.map((w) => w.code)).toContain("duplicate_keys");
    expect(fx.sandbox.stats().accepted).toBe(2);
    expect(await fx.warehouse.state.show(fx.temp.stateSchema, plan.activation)).toMatchObject({
      acked: 2,
      rejected: { missing_primary_key: 2 },
    });

    // Nothing is new on the next run: no warning to keep an issue open for ever.
    const second = await run(plan, fx);
    expect(second.counts).toMatchObject({ read: 0, sent: 0, rejected: 0 });
    expect(second.warnings).toEqual([]);

    // A keyless row whose values change is read again, once.
    await fx.warehouse.execute("UPDATE signups SET email = ? WHERE email = ?", ["z@example.com", "y@example.com"]);
    expect((await run(plan, fx)).counts).toMatchObject({ read: 1, rejectedByReason: { missing_primary_key: 1 } });
    expect((await run(plan, fx)).counts).toMatchObject({ read: 0 });
  });

  it(`agrees with its state for any mix of valid, invalid, repeated and missing keys (${seedNote})`, async () => {
    const plan = planFor(fx.temp, keysYaml);
    const row = fc.tuple(fc.option(fc.constantFrom("k1", "k2", "k3", "k4", "k5", "k6"), { nil: null }), fc.boolean(), fc.nat(40));
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 25 }), async (rows) => {
        await fx.warehouse.execute("DELETE FROM signups");
        await fx.warehouse.state.ensure(fx.temp.stateSchema);
        await fx.warehouse.state.reset(fx.temp.stateSchema, plan.activation);
        await insert(rows.map(([id, valid, n], i) => [id, at(1 + (i % 5)), valid ? `p${n}@example.com` : `not-an-email-${n}`]));
        // The model: a key's first row decides; keyless rows count once per distinct value.
        const firstOfKey = new Map<string, boolean>();
        for (const [id, valid] of rows) if (id !== null && !firstOfKey.has(id)) firstOfKey.set(id, valid);
        const sent = [...firstOfKey.values()].filter(Boolean).length;
        const keyed = rows.filter(([id]) => id !== null).length;
        // (Identical keyless rows, same values and time, are one.)
        const keyless = new Set(rows.flatMap(([id, valid, n], i) => (id === null ? [`${valid}${n}${i % 5}`] : []))).size;

        const report = await run(plan, fx);
        expect(report.status).toBe("success");
        expect(report.counts.sent).toBe(sent);
        expect(report.counts.rejectedByReason.duplicate_primary_key ?? 0).toBe(keyed - firstOfKey.size);
        expect(report.counts.rejectedByReason.missing_primary_key ?? 0).toBe(keyless);
        const state = await fx.warehouse.state.show(fx.temp.stateSchema, plan.activation);
        expect(state.acked).toBe(report.counts.sent);
        for (const reason of ["missing_primary_key", "invalid_email"] as const)
          expect(state.rejected[reason] ?? 0).toBe(report.counts.rejectedByReason[reason] ?? 0);
        expect((await run(plan, fx)).counts.read).toBe(0);
      }),
      { seed: SEED, numRuns: kind === "sqlite" ? 25 : 8 },
    );
  });
});
