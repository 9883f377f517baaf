// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { ALLOWED, CLIENT_OWNERS } from "./dependency-rules.js";

const ours = Object.keys(ALLOWED).filter((pkg) => pkg !== "bench");
/** Imports a package may not make, from dependency-rules.js (which architecture.test.ts reads too). */
const forbidden = (pkg, names, message) => ({
  files: [`packages/${pkg}/src/**/*.ts`],
  ignores: ["**/*.test.ts"],
  rules: {
    "no-restricted-imports": ["error", { patterns: [{ group: names, message }] }],
  },
});

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "**/.turbo/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
      "no-console": "error",
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["@ferry/*/src/*", "../../*/src/*"], message: "import a package by its name, never its sources" }] },
      ],
    },
  },
  ...ours.map((pkg) =>
    forbidden(
      pkg,
      [
        "@ferry/*/src/*",
        ...ours.filter((o) => o !== pkg && !ALLOWED[pkg].includes(o) && pkg !== "testkit").map((o) => `@ferry/${o}`),
        ...Object.entries(CLIENT_OWNERS)
          .filter(([, owner]) => owner !== pkg)
          .map(([name]) => name),
      ],
      "this package may not import that: each third-party I/O client lives in one package, and data flows one way (see README, Architecture)",
    ),
  ),
  {
    files: ["packages/tiktok/src/map/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["undici", "node:net", "node:http", "node:https", "../client/*"], message: "mapping is pure: no I/O" }] },
      ],
    },
  },
  {
    files: [
      "packages/cli/src/**/*.ts",
      "packages/*/bin/**",
      "packages/*/src/scripts/**",
      "packages/bench/**",
      "packages/testkit/**",
      "packages/tiktok-sandbox/src/main.ts",
      ".ci/**",
    ],
    rules: { "no-console": "off" },
  },
  {
    // CommonJS by necessity: the action's stand-in for a native driver that knex require()s.
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { require: "readonly", module: "writable", process: "readonly" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly", AbortController: "readonly", URL: "readonly" } },
  },
);
