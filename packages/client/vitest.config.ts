import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The server's harness: one Postgres for the run, a migrated template database, and a
    // real server per test file (packages/server/src/testing).
    globalSetup: [fileURLToPath(import.meta.resolve("@runnerplane/server/testing/global-setup"))],
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
