import { describe, expect, it } from "vitest";
import { DIALECTS } from "../dialects.js";
import type { Extraction } from "./extraction.js";
import { renderFreshSql, renderNewRowsSql, type Strategy } from "./render.js";

const extraction: Extraction = {
  activation: "pos-purchases",
  source: { query: "select * from pos_orders;" },
  primaryKey: ["order_id"],
  columns: ["purchased_at", "email"],
  stateSchema: "ferry",
};
const probes = (keysByIndex: boolean, parallel: boolean): Strategy => ({ kind: "byProbes", keysByIndex, parallel });

describe("renderNewRowsSql", () => {
  it.each(Object.keys(DIALECTS) as (keyof typeof DIALECTS)[])("renders the anti-join for %s", (name) => {
    const sql = renderNewRowsSql(DIALECTS[name], extraction);
    // State is read for this activation only, named as a literal: the SQL takes no bindings.
    expect(sql.match(/\.activation = 'pos-purchases'/g)).toHaveLength(DIALECTS[name].probes ? 3 : 2);
    expect(sql).not.toContain("?");
    expect(sql).toMatchSnapshot();
  });

  it("looks the keys probes missed up one by one only when asked, and only after probes", () => {
    const lookup = "a.pk_hash = k.__ferry_pk OFFSET 0)";
    expect(renderNewRowsSql(DIALECTS.postgres, extraction, probes(true, false))).toContain(lookup);
    expect(renderNewRowsSql(DIALECTS.postgres, extraction, probes(false, false))).not.toContain(lookup);
    expect(renderNewRowsSql(DIALECTS.postgres, extraction, { kind: "byKey" })).not.toContain(lookup);
    // Without probes a dialect reads by key whatever it is asked.
    expect(renderNewRowsSql(DIALECTS.sqlite, extraction, probes(true, false))).toBe(
      renderNewRowsSql(DIALECTS.sqlite, extraction, { kind: "byKey" }),
    );
  });

  it("leaves the probes unfenced only when the anti-join may run in parallel, and keeps the fence above it", () => {
    const fenced = renderNewRowsSql(DIALECTS.postgres, extraction, probes(true, false));
    const parallel = renderNewRowsSql(DIALECTS.postgres, extraction, probes(true, true));
    expect(fenced).toContain("\n) s OFFSET 0\n    ) c");
    // Only the probes' derived table changes: the key's hash above it is still computed once.
    expect(parallel).toBe(fenced.replace("\n) s OFFSET 0\n    ) c", "\n) s\n    ) c"));
  });

  it("reads every row without joins for `all`; the keys' text for the reader to hash when asked", () => {
    const plain = renderNewRowsSql(DIALECTS.postgres, extraction, { kind: "all", keyText: false });
    expect(plain).not.toMatch(/JOIN|EXISTS|ferry"\."(acked|rejected)/);
    expect(plain).toContain(`encode(sha256(convert_to(CAST(s."order_id" AS TEXT), 'UTF8')), 'hex') AS __ferry_pk`);
    const text = renderNewRowsSql(DIALECTS.postgres, extraction, { kind: "all", keyText: true });
    expect(text).toContain(`CAST(s."order_id" AS TEXT) AS __ferry_kt`);
    expect(text).not.toContain("sha256");
  });

  it("asks whether an activation has any state with its name as a literal", () => {
    expect(renderFreshSql(DIALECTS.postgres, extraction)).toBe(
      `SELECT NOT EXISTS (SELECT 1 FROM "ferry"."rejected" t WHERE t.activation = 'pos-purchases') AND NOT EXISTS (SELECT 1 FROM "ferry"."acked" t WHERE t.activation = 'pos-purchases') AS fresh`,
    );
  });

  it("hashes composite keys with a separator, and quotes every identifier", () => {
    const sql = renderNewRowsSql(DIALECTS.mysql, { ...extraction, source: { table: "shop.orders" }, primaryKey: ["shop`id", "order id"] });
    expect(sql).toContain("FROM `shop`.`orders` s");
    expect(sql).toContain("SHA2(CONCAT(CAST(s.`shop``id` AS CHAR), CHAR(31), CAST(s.`order id` AS CHAR)), 256) AS __ferry_pk");
    expect(renderNewRowsSql(DIALECTS.bigquery, { ...extraction, source: { table: "proj.shop.orders" } })).toContain(
      "FROM `proj`.`shop`.`orders` s",
    );
  });

  it("never concatenates a hostile identifier unquoted", () => {
    for (const [name, quoted] of [
      ["postgres", 's."x"" FROM pg_user; --"'],
      ["duckdb", 's."x"" FROM pg_user; --"'],
      ["snowflake", 's."x"" FROM pg_user; --"'],
      ["bigquery", 's.`x" FROM pg_user; --`'],
    ] as const) {
      expect(renderNewRowsSql(DIALECTS[name], { ...extraction, columns: ['x" FROM pg_user; --'] })).toContain(quoted);
    }
    expect(renderNewRowsSql(DIALECTS.bigquery, { ...extraction, columns: ["a`b"] })).toContain("s.`a``b`");
  });

  it.each([
    ["postgres", '"analytics_marts"."fct.pos"'],
    ["mysql", "`analytics_marts`.`fct.pos`"],
    ["duckdb", '"analytics"."analytics_marts"."fct.pos"'],
    ["snowflake", '"analytics"."analytics_marts"."fct.pos"'],
    ["bigquery", "`analytics`.`analytics_marts`.`fct.pos`"],
  ] as const)("reads a dbt relation on %s part by part, a dot inside a part staying one identifier", (name, from) => {
    const sql = renderNewRowsSql(DIALECTS[name], {
      ...extraction,
      source: { relation: { database: "analytics", schema: "analytics_marts", name: "fct.pos" } },
    });
    expect(sql).toContain(`FROM ${from} s`);
  });

  // dbt-snowflake leaves names unquoted (Snowflake upper-cases them), dbt-duckdb and
  // dbt-postgres lower-case, dbt-bigquery keeps the case (project, dataset and table names are
  // case-sensitive there).
  it.each([
    ["snowflake", '"ANALYTICS"."MARTS"."Fct_Pos"'],
    ["postgres", '"marts"."Fct_Pos"'],
    ["duckdb", '"analytics"."marts"."Fct_Pos"'],
    ["bigquery", "`Analytics`.`Marts`.`Fct_Pos`"],
    ["mysql", "`Marts`.`Fct_Pos`"],
  ] as const)("case-folds the parts dbt leaves unquoted as %s would, and still quotes them", (name, from) => {
    const relation = {
      database: "Analytics",
      schema: "Marts",
      name: "Fct_Pos",
      quoted: { database: false, schema: false, identifier: true },
    };
    expect(renderNewRowsSql(DIALECTS[name], { ...extraction, source: { relation } })).toContain(`FROM ${from} s`);
  });

  it("quotes every part of a dbt relation, whatever the manifest holds", () => {
    const relation = { database: "d", schema: 'm"; DROP TABLE x; --', name: "`*`" };
    expect(renderNewRowsSql(DIALECTS.postgres, { ...extraction, source: { relation } })).toContain('FROM "m""; DROP TABLE x; --"."`*`" s');
    expect(renderNewRowsSql(DIALECTS.mysql, { ...extraction, source: { relation } })).toContain('FROM `m"; DROP TABLE x; --`.```*``` s');
    expect(renderNewRowsSql(DIALECTS.bigquery, { ...extraction, source: { relation } })).toContain(
      'FROM `d`.`m"; DROP TABLE x; --`.```*``` s',
    );
  });

  it("reads a dbt relation in SQLite's main schema by its bare name, an attached one qualified", () => {
    const main = renderNewRowsSql(DIALECTS.sqlite, {
      ...extraction,
      source: { relation: { database: "main", schema: "main", name: "fct" } },
    });
    expect(main).toContain('FROM "fct" s');
    const attached = renderNewRowsSql(DIALECTS.sqlite, {
      ...extraction,
      source: { relation: { database: null, schema: "marts", name: "fct" } },
    });
    expect(attached).toContain('FROM "marts"."fct" s');
  });

  it("refuses multi-statement queries", () => {
    expect(() => renderNewRowsSql(DIALECTS.postgres, { ...extraction, source: { query: "select 1; drop table x" } })).toThrow(
      /single statement/,
    );
  });

  it("refuses an activation name it would have to escape as a literal", () => {
    expect(() => renderNewRowsSql(DIALECTS.mysql, { ...extraction, activation: "x' OR '1'='1" })).toThrow(/activation names are/);
    expect(() => renderNewRowsSql(DIALECTS.mysql, { ...extraction, activation: "x\\" })).toThrow(/activation names are/);
  });
});
