import { createRequire } from "node:module";
import path from "node:path";
import { WarehouseError } from "./errors.js";

/**
 * A warehouse client Ferry does not install for everyone (BigQuery's, Snowflake's): from
 * Ferry's own dependencies, or else from the project it runs in (the GitHub Action's workspace,
 * or the current directory), where `npm install <name>` put it.
 */
export async function loadOptional<T>(name: string, warehouse: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    if ((error as { code?: string }).code !== "ERR_MODULE_NOT_FOUND") throw error;
  }
  const project = process.env["GITHUB_WORKSPACE"] || process.cwd();
  try {
    return createRequire(path.join(project, "package.json"))(name) as T;
  } catch {
    throw new WarehouseError("connection", `${warehouse}'s client is not installed: run \`npm install ${name}\` in your project`);
  }
}
