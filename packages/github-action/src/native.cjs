// Native drivers in the action. Native code is built per platform (and, for better-sqlite3,
// per Node.js), so the bundle cannot carry it: it is taken from next to the action (a checkout
// with its dependencies installed) or else from the user's workspace, where a step installed it.
const path = require("node:path");
const { createRequire } = require("node:module");

module.exports = function loadNative(name, version, warehouse) {
  const how =
    "add these steps before the Ferry step:\n" +
    "  - uses: actions/setup-node@v4\n" +
    "    with: { node-version: 24 }   # the Node.js the action runs on\n" +
    `  - run: npm install --no-save ${name}@${version}\n` +
    "or run the CLI instead of the action: npx @ferry/cli run";
  // A computed name: esbuild leaves it to the runtime's require instead of bundling it again.
  const own = name;
  try {
    return require(own);
  } catch (error) {
    if (error?.code !== "MODULE_NOT_FOUND") throw error;
  }
  const workspace = process.env.GITHUB_WORKSPACE || process.cwd();
  try {
    return createRequire(path.join(workspace, "package.json"))(name);
  } catch (error) {
    if (error?.code === "MODULE_NOT_FOUND")
      throw new Error(`${warehouse} needs the ${name} driver, which the Ferry action cannot bundle (it is native code): ${how}`);
    if (error?.code === "ERR_DLOPEN_FAILED")
      throw new Error(`the ${name} in the workspace was built for another Node.js than the action's (${process.versions.node}): ${how}`);
    throw error;
  }
};
