import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // Starts one Postgres (embedded, or DATABASE_URL) and a migrated template database;
    // every test file clones its own database from it (src/testing/database.ts).
    globalSetup: ["src/testing/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
