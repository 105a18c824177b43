// Shared vitest settings: every package resolves workspace imports to their TypeScript sources
// through the `@neox/source` export condition, so tests never need a prior build.
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["@neox/source"] },
  ssr: { resolve: { conditions: ["@neox/source"], externalConditions: ["@neox/source"] } },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
