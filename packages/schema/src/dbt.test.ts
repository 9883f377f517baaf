import { copyFile, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { activationYaml, DBT_SHOP, testdir } from "@ferry/testkit";
import { describe, expect, it } from "vitest";
import { resolveDbtModel } from "./dbt.js";
import { loadActivations } from "./load.js";

const manifest = JSON.parse(await readFile(DBT_SHOP.manifest, "utf8")) as {
  metadata: Record<string, unknown>;
  nodes: Record<string, Record<string, unknown>>;
};

describe("resolveDbtModel, on the dbt-shop manifest", () => {
  it("gives a table model's relation under its alias", () => {
    expect(resolveDbtModel(manifest, "pos_purchases")).toEqual({
      ok: true,
      relation: {
        uniqueId: "model.shop.pos_purchases",
        model: "pos_purchases",
        database: "analytics",
        schema: "analytics_marts",
        name: "fct_pos_purchases",
        materialized: "table",
        quoted: { database: true, schema: true, identifier: true },
      },
    });
  });

  it("records which parts dbt leaves unquoted: the model's config, else the project's, else the adapter's default", () => {
    const snowflake = structuredClone(manifest);
    snowflake.metadata = { ...snowflake.metadata, adapter_type: "snowflake" };
    delete snowflake.metadata["quoting"];
    expect(resolveDbtModel(snowflake, "pos_purchases")).toMatchObject({
      ok: true,
      relation: { quoted: { database: false, schema: false, identifier: false } },
    });
    snowflake.metadata["quoting"] = { database: false, schema: false, identifier: true };
    expect(resolveDbtModel(snowflake, "pos_purchases")).toMatchObject({
      ok: true,
      relation: { quoted: { database: false, schema: false, identifier: true } },
    });
    const node = snowflake.nodes["model.shop.pos_purchases"]!;
    node["config"] = { ...(node["config"] as object), quoting: { identifier: false } };
    expect(resolveDbtModel(snowflake, "pos_purchases")).toMatchObject({
      ok: true,
      relation: { quoted: { database: false, schema: false, identifier: false } },
    });
  });

  it("reads views and incremental models", () => {
    expect(resolveDbtModel(manifest, "crm_leads")).toMatchObject({
      ok: true,
      relation: { name: "crm_leads", materialized: "incremental" },
    });
    expect(resolveDbtModel(manifest, "stg_pos_orders")).toMatchObject({
      ok: true,
      relation: { schema: "analytics_staging", materialized: "view" },
    });
  });

  it("suggests the closest model for an unknown name, and never a source", () => {
    expect(resolveDbtModel(manifest, "pos_purchase")).toMatchObject({
      ok: false,
      code: "unknown_dbt_model",
      hint: 'did you mean "pos_purchases"?',
    });
    // Several near names, nearest first; a source (pos.orders) is never offered.
    expect(resolveDbtModel(manifest, "purchases")).toMatchObject({ hint: 'did you mean "pos_purchases"?' });
    expect(resolveDbtModel(manifest, "pos_orders")).toMatchObject({ hint: 'did you mean "stg_pos_orders"?' });
    expect(resolveDbtModel(manifest, "pos")).toMatchObject({ hint: 'did you mean "pos_purchases" or "stg_pos_orders"?' });
    expect(resolveDbtModel(manifest, "customers")).not.toHaveProperty("hint");
    // Ephemeral models have no relation: never offered.
    expect(resolveDbtModel(manifest, "order_items")).not.toHaveProperty("hint");
  });

  it("says so when the name given is the model's relation rather than the model", () => {
    expect(resolveDbtModel(manifest, "fct_pos_purchases")).toMatchObject({
      ok: false,
      code: "unknown_dbt_model",
      hint: '"fct_pos_purchases" is the relation dbt builds for model "pos_purchases": name the model',
    });
  });

  it("refuses a disabled model, saying why", () => {
    expect(resolveDbtModel(manifest, "legacy_orders")).toMatchObject({
      ok: false,
      code: "disabled_dbt_model",
      message: expect.stringMatching(/disabled/),
    });
  });

  it("refuses an ephemeral model, which has no relation", () => {
    expect(resolveDbtModel(manifest, "int_order_items")).toMatchObject({
      ok: false,
      code: "ephemeral_dbt_model",
      message: expect.stringMatching(/ephemeral/),
    });
  });

  it("prefers the root project's model over a package's of the same name, as ref() does", () => {
    const withPackage = structuredClone(manifest);
    withPackage.nodes["model.shopify_source.pos_purchases"] = {
      ...withPackage.nodes["model.shop.pos_purchases"],
      unique_id: "model.shopify_source.pos_purchases",
      package_name: "shopify_source",
      schema: "shopify",
      alias: "pos_purchases",
    };
    // Package nodes come first in some manifests: order must not matter.
    withPackage.nodes = Object.fromEntries(Object.entries(withPackage.nodes).reverse());
    expect(resolveDbtModel(withPackage, "pos_purchases")).toMatchObject({ ok: true, relation: { uniqueId: "model.shop.pos_purchases" } });
  });

  it("takes the latest version of a versioned model", () => {
    const versioned = structuredClone(manifest);
    const base = versioned.nodes["model.shop.crm_leads"]!;
    delete versioned.nodes["model.shop.crm_leads"];
    versioned.nodes["model.shop.crm_leads.v1"] = {
      ...base,
      unique_id: "model.shop.crm_leads.v1",
      alias: "crm_leads_v1",
      version: 1,
      latest_version: 2,
    };
    versioned.nodes["model.shop.crm_leads.v2"] = {
      ...base,
      unique_id: "model.shop.crm_leads.v2",
      alias: "crm_leads_v2",
      version: 2,
      latest_version: 2,
    };
    expect(resolveDbtModel(versioned, "crm_leads")).toMatchObject({ ok: true, relation: { name: "crm_leads_v2" } });
  });

  it("says when the file is not a manifest", () => {
    expect(resolveDbtModel({ metadata: {} }, "x")).toMatchObject({ ok: false, code: "invalid_manifest" });
    expect(resolveDbtModel(null, "x")).toMatchObject({ ok: false, code: "invalid_manifest" });
  });
});

/** A dbt project with Ferry's activations inside it, as teams lay it out. */
async function dbtProject(files: Record<string, string>, options: { manifest?: boolean } = {}): Promise<string> {
  const dir = await testdir({ "activations/ferry.yml": "version: 1\ndefaults:\n  phone_default_region: FR\n", ...files });
  if (options.manifest !== false) {
    await mkdir(path.join(dir, "target"), { recursive: true });
    await copyFile(DBT_SHOP.manifest, path.join(dir, "target/manifest.json"));
  }
  return dir;
}

describe("loadActivations with source.dbt_model", () => {
  it("resolves the model through ../target/manifest.json by default", async () => {
    const cwd = await dbtProject({ "activations/pos.yml": activationYaml({ dbtModel: "pos_purchases" }) });
    const result = await loadActivations(["activations"], { cwd });
    expect(result.issues).toEqual([]);
    expect(result.activations[0]!.dbt).toMatchObject({
      schema: "analytics_marts",
      name: "fct_pos_purchases",
      manifest: "target/manifest.json",
    });
  });

  it("points an unknown model at its file, line and field, with a suggestion", async () => {
    const cwd = await dbtProject({ "activations/pos.yml": activationYaml({ dbtModel: "pos_purchase" }) });
    const result = await loadActivations(["activations"], { cwd });
    expect(result.activations).toEqual([]);
    expect(result.issues).toEqual([
      expect.objectContaining({
        file: "activations/pos.yml",
        line: 9,
        column: 14,
        path: "source.dbt_model",
        code: "unknown_dbt_model",
        severity: "error",
        hint: 'did you mean "pos_purchases"?',
      }),
    ]);
  });

  it("refuses disabled and ephemeral models in one pass", async () => {
    const cwd = await dbtProject({
      "activations/a.yml": activationYaml({ name: "a", dbtModel: "legacy_orders" }),
      "activations/b.yml": activationYaml({ name: "b", dbtModel: "int_order_items" }),
    });
    const result = await loadActivations(["activations"], { cwd });
    expect(result.issues.map((i) => [i.file, i.code])).toEqual([
      ["activations/a.yml", "disabled_dbt_model"],
      ["activations/b.yml", "ephemeral_dbt_model"],
    ]);
  });

  it("warns, and does not fail, when there is no manifest to check against", async () => {
    const cwd = await dbtProject({ "activations/pos.yml": activationYaml({ dbtModel: "pos_purchases" }) }, { manifest: false });
    const result = await loadActivations(["activations"], { cwd });
    expect(result.issues).toEqual([
      expect.objectContaining({ code: "no_dbt_manifest", severity: "warning", hint: expect.stringMatching(/dbt parse/) }),
    ]);
    expect(result.activations[0]!.dbt).toBeUndefined();
  });

  it("reads the manifest from ferry.yml's dbt.manifest_path, before DBT_MANIFEST_PATH", async () => {
    const cwd = await dbtProject(
      {
        "activations/ferry.yml": "version: 1\ndbt:\n  manifest_path: ../build/manifest.json\ndefaults:\n  phone_default_region: FR\n",
        "activations/pos.yml": activationYaml({ dbtModel: "pos_purchases" }),
      },
      { manifest: false },
    );
    await mkdir(path.join(cwd, "build"));
    await copyFile(DBT_SHOP.manifest, path.join(cwd, "build/manifest.json"));
    const result = await loadActivations(["activations"], { cwd, env: { DBT_MANIFEST_PATH: "nowhere.json" } });
    expect(result.issues).toEqual([]);
    expect(result.activations[0]!.dbt?.manifest).toBe("build/manifest.json");
  });

  it("reads the manifest from DBT_MANIFEST_PATH when ferry.yml sets none", async () => {
    const cwd = await dbtProject({ "activations/pos.yml": activationYaml({ dbtModel: "crm_leads" }) }, { manifest: false });
    const result = await loadActivations(["activations"], { cwd, env: { DBT_MANIFEST_PATH: DBT_SHOP.manifest } });
    expect(result.issues).toEqual([]);
    expect(result.activations[0]!.dbt).toMatchObject({ name: "crm_leads" });
  });

  it("says when the manifest is not JSON", async () => {
    const cwd = await dbtProject(
      { "activations/pos.yml": activationYaml({ dbtModel: "pos_purchases" }), "target/manifest.json": "{ half" },
      { manifest: false },
    );
    const result = await loadActivations(["activations"], { cwd });
    expect(result.issues).toEqual([
      expect.objectContaining({ code: "invalid_manifest", severity: "error", message: expect.stringMatching(/not valid JSON/) }),
    ]);
  });
});
