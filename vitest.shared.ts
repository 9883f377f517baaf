import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

// Sibling packages resolve to their TypeScript sources in tests (the "@ferry/source" export
// condition), so a test never runs against a stale dist/.
const conditions = ["@ferry/source", ...defaultServerConditions];
const guard = fileURLToPath(new URL("./packages/testkit/src/guard-output.ts", import.meta.url));

export function ferryVitestConfig(root: string) {
  return defineConfig({
    root,
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: conditions } },
    test: {
      setupFiles: [guard],
      // Unit tests are pure; integration tests open sockets or talk to databases; perf tests pin
      // an optimisation the benchmark showed matters (bench/FINDINGS.md), apart from behaviour
      // tests so that a failure says which kind broke. All run in `npm test`.
      projects: [
        {
          extends: true,
          // Generous: on a loaded 2-core runner, the first import of a package graph takes seconds.
          test: {
            name: "unit",
            include: ["src/**/*.test.ts"],
            exclude: ["src/**/*.integration.test.ts", "src/**/*.perf.test.ts"],
            testTimeout: 30_000,
          },
        },
        {
          extends: true,
          test: { name: "perf", include: ["src/**/*.perf.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 },
        },
        {
          extends: true,
          test: {
            name: "integration",
            include: ["src/**/*.integration.test.ts"],
            testTimeout: 60_000,
            hookTimeout: 60_000,
          },
        },
      ],
    },
  });
}
