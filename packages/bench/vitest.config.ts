import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    globalSetup: [fileURLToPath(import.meta.resolve("@runnerplane/server/testing/global-setup"))],
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
