import { describe, expect, it } from "vitest";
import { dialectFor } from "./dialects.js";

describe("dialectFor", () => {
  it.each([
    ["postgres://u@h/db", "postgres"],
    ["postgresql://u@h/db", "postgres"],
    ["mysql://root@h/db", "mysql"],
    ["mariadb://root@h/db", "mysql"],
    ["sqlite:./demo.db", "sqlite"],
    ["duckdb:./warehouse.duckdb", "duckdb"],
    ["md:analytics", "duckdb"],
    ["bigquery://my-project", "bigquery"],
    ["snowflake://u@account/db", "snowflake"],
  ])("%s → %s", (url, name) => expect(dialectFor(url).name).toBe(name));

  it("refuses unknown schemes with the list of known ones, without echoing the URL", () => {
    for (const url of ["oracle://scott:tiger@h/db", "redshift://u:tiger@h:5439/db", "databricks://token:tiger@h"]) {
      const error = (() => {
        try {
          dialectFor(url);
        } catch (e) {
          return e as Error;
        }
      })();
      expect(error?.message).toMatch(/^unsupported warehouse URL scheme "\w+:": use postgres:\/\/.*duckdb:.*bigquery:\/\/.*snowflake:\/\//);
      expect(error?.message).not.toContain("tiger");
    }
  });
});
