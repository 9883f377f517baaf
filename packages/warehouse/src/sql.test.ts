import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { DIALECTS, dialectFor } from "./dialect.js";
import { ownText, probeOf, renderFreshSql, renderNewRowsSql, type Extraction } from "./sql.js";

const extraction: Extraction = {
  activation: "pos-purchases",
  source: { query: "select * from pos_orders;" },
  primaryKey: ["order_id"],
  columns: ["purchased_at", "email"],
  stateSchema: "ferry",
};

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
    expect(renderNewRowsSql(DIALECTS.postgres, extraction, { keysByIndex: true })).toContain(lookup);
    expect(renderNewRowsSql(DIALECTS.postgres, extraction)).not.toContain(lookup);
    expect(renderNewRowsSql(DIALECTS.postgres, extraction, { keysByIndex: true, byKey: true })).not.toContain(lookup);
    expect(renderNewRowsSql(DIALECTS.sqlite, extraction, { keysByIndex: true })).not.toContain("a.pk_hash = k.__ferry_pk LIMIT");
  });

  it("leaves the probes unfenced only when the anti-join may run in parallel, and keeps the fence above it", () => {
    const fenced = renderNewRowsSql(DIALECTS.postgres, extraction, { keysByIndex: true });
    const parallel = renderNewRowsSql(DIALECTS.postgres, extraction, { keysByIndex: true, parallel: true });
    expect(fenced).toContain("\n) s OFFSET 0\n    ) c");
    expect(parallel).toContain("\n) s\n    ) c");
    // Only the probes' derived table changes: the key's hash above it is still computed once.
    expect(parallel).toBe(fenced.replace("\n) s OFFSET 0\n    ) c", "\n) s\n    ) c"));
    expect(renderNewRowsSql(DIALECTS.postgres, extraction, { byKey: true, parallel: true })).toBe(
      renderNewRowsSql(DIALECTS.postgres, extraction, { byKey: true }),
    );
  });

  it("reads a fresh activation's rows, or a full refresh, without joins; their keys' text for the reader to hash when asked", () => {
    for (const options of [{ fresh: true }, { fullRefresh: true }]) {
      const plain = renderNewRowsSql(DIALECTS.postgres, extraction, options);
      expect(plain).not.toMatch(/JOIN|EXISTS|ferry"\."(acked|rejected)/);
      expect(plain).toContain(`encode(sha256(convert_to(CAST(s."order_id" AS TEXT), 'UTF8')), 'hex') AS __ferry_pk`);
      const text = renderNewRowsSql(DIALECTS.postgres, extraction, { ...options, keyText: true });
      expect(text).toContain(`CAST(s."order_id" AS TEXT) AS __ferry_kt`);
      expect(text).not.toContain("sha256");
    }
    // keyText only where there is no join: the joins compare hashes in the warehouse.
    expect(renderNewRowsSql(DIALECTS.postgres, extraction, { keyText: true })).toBe(renderNewRowsSql(DIALECTS.postgres, extraction));
  });

  it("asks whether an activation has any state with its name as a literal", () => {
    expect(renderFreshSql(DIALECTS.postgres, extraction)).toBe(
      `SELECT NOT EXISTS (SELECT 1 FROM "ferry"."rejected" t WHERE t.activation = 'pos-purchases') AND NOT EXISTS (SELECT 1 FROM "ferry"."acked" t WHERE t.activation = 'pos-purchases') AS fresh`,
    );
  });

  it("hashes composite keys with a separator, and quotes every identifier", () => {
    const sql = renderNewRowsSql(DIALECTS.mysql, {
      ...extraction,
      source: { table: "shop.orders" },
      primaryKey: ["shop`id", "order id"],
    });
    expect(sql).toContain("FROM `shop`.`orders` s");
    expect(sql).toContain("SHA2(CONCAT(CAST(s.`shop``id` AS CHAR), CHAR(31), CAST(s.`order id` AS CHAR)), 256) AS __ferry_pk");
  });

  it("never concatenates a hostile identifier unquoted", () => {
    const sql = renderNewRowsSql(DIALECTS.postgres, { ...extraction, columns: ['x" FROM pg_user; --'] });
    expect(sql).toContain('s."x"" FROM pg_user; --"');
  });

  it.each([
    ["postgres", '"analytics_marts"."fct.pos"'],
    ["redshift", '"analytics_marts"."fct.pos"'],
    ["mysql", "`analytics_marts`.`fct.pos`"],
    ["snowflake", '"analytics"."analytics_marts"."fct.pos"'],
  ] as const)("reads a dbt relation on %s part by part, a dot inside a part staying one identifier", (name, from) => {
    const sql = renderNewRowsSql(DIALECTS[name], {
      ...extraction,
      source: { relation: { database: "analytics", schema: "analytics_marts", name: "fct.pos" } },
    });
    expect(sql).toContain(`FROM ${from} s`);
  });

  it("case-folds the parts dbt leaves unquoted as the warehouse would, and still quotes them", () => {
    const relation = {
      database: "Analytics",
      schema: "Marts",
      name: "Fct_Pos",
      quoted: { database: false, schema: false, identifier: true },
    };
    expect(renderNewRowsSql(DIALECTS.snowflake, { ...extraction, source: { relation } })).toContain('FROM "ANALYTICS"."MARTS"."Fct_Pos" s');
    expect(renderNewRowsSql(DIALECTS.postgres, { ...extraction, source: { relation } })).toContain('FROM "marts"."Fct_Pos" s');
    expect(renderNewRowsSql(DIALECTS.mysql, { ...extraction, source: { relation } })).toContain("FROM `Marts`.`Fct_Pos` s");
  });

  it("quotes every part of a dbt relation, whatever the manifest holds", () => {
    const relation = { database: "d", schema: 'm"; DROP TABLE x; --', name: "`*`" };
    expect(renderNewRowsSql(DIALECTS.postgres, { ...extraction, source: { relation } })).toContain('FROM "m""; DROP TABLE x; --"."`*`" s');
    expect(renderNewRowsSql(DIALECTS.mysql, { ...extraction, source: { relation } })).toContain('FROM `m"; DROP TABLE x; --`.```*``` s');
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

  it("selects everything, still hashed, on a full refresh", () => {
    const sql = renderNewRowsSql(DIALECTS.sqlite, extraction, { fullRefresh: true });
    expect(sql).not.toContain("NOT EXISTS");
    expect(sql).toContain("ferry_sha256(");
  });

  it("refuses an activation name it would have to escape as a literal", () => {
    expect(() => renderNewRowsSql(DIALECTS.mysql, { ...extraction, activation: "x' OR '1'='1" })).toThrow(/activation names are/);
    expect(() => renderNewRowsSql(DIALECTS.mysql, { ...extraction, activation: "x\\" })).toThrow(/activation names are/);
  });
});

describe("dialectFor", () => {
  it.each([
    ["postgres://u@h/db", "postgres"],
    ["postgresql://u@h/db", "postgres"],
    ["mysql://root@h/db", "mysql"],
    ["mariadb://root@h/db", "mysql"],
    ["sqlite:./demo.db", "sqlite"],
    ["redshift://u@h:5439/db", "redshift"],
    ["snowflake://u@account/db", "snowflake"],
  ])("%s → %s", (url, name) => expect(dialectFor(url).name).toBe(name));

  it("refuses unknown schemes without echoing the URL", () => {
    expect(() => dialectFor("oracle://scott:tiger@h/db")).toThrow('unsupported warehouse URL scheme "oracle:"');
    try {
      dialectFor("oracle://scott:tiger@h/db");
    } catch (e) {
      expect(String(e)).not.toContain("tiger");
    }
  });
});

describe("strings kept until TikTok answers (ownText, probeOf)", () => {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const heapAfterGc = () => {
    gc();
    return process.memoryUsage().heapUsed;
  };
  /** As the COPY reader gives them: fields sliced from a 64 KB text of their own (flat, as its search leaves it). */
  const slicedFields = (n: number) => {
    const text = `-88173688934618${String(n).padStart(5, "0")}\t-1234567890123456789\t`.padEnd(64 * 1024, "x");
    text.indexOf("\n");
    return { __ferry_pa: text.slice(0, 20), __ferry_pb: text.slice(21, 41) };
  };
  // 200 texts of 64 KB would be 13 MB; the values alone, some 10-20 KB.
  const keepsNoText = <T>(make: (n: number) => T): T[] => {
    const before = heapAfterGc();
    const kept = Array.from({ length: 200 }, (_, n) => make(n));
    expect(heapAfterGc() - before).toBeLessThan(2 * 1024 * 1024);
    return kept;
  };

  it("ownText keeps none of the text its value was sliced from", () => {
    const kept = keepsNoText((n) => ownText(slicedFields(n).__ferry_pa));
    expect(kept[7]).toBe("-8817368893461800007");
  });

  it("probeOf joins the probes into one string of their own", () => {
    const probes = keepsNoText((n) => probeOf(slicedFields(n)));
    expect(probes[7]).toBe("-8817368893461800007/-1234567890123456789");
  });
});
