// Shared vitest settings for every package in the workspace.
//
// - Workspace packages resolve to their TypeScript sources through the
//   "@nats-ts/source" export condition, so a package's tests never need a
//   fresh build of its dependencies.
// - Each run also writes test-results.json (vitest's JSON report); .ci/run adds
//   those up into the one "N passed, N failed" line.
import { defineConfig, mergeConfig } from "vitest/config";

const conditions = ["@nats-ts/source", "import", "module", "node", "default"];

/** @param {import("vitest/config").UserConfig} [overrides] */
export function preset(overrides = {}) {
  return mergeConfig(
    defineConfig({
      resolve: { conditions },
      ssr: { resolve: { conditions, externalConditions: ["@nats-ts/source"] } },
      test: {
        include: ["test/**/*.test.ts"],
        testTimeout: 20_000,
        hookTimeout: 20_000,
        reporters: ["default", ["json", { outputFile: "test-results.json" }]],
        pool: "forks",
        // A package scaffolded ahead of its first tests must not fail the whole run.
        passWithNoTests: true,
      },
    }),
    overrides,
  );
}
