import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [react()],
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "components",
          include: ["src/**/*.test.tsx", "src/**/*.test.ts"],
          environment: "happy-dom",
          // Rendering and user-event typing are slow on a busy 2-core machine; nothing here is timed.
          testTimeout: 30_000,
          setupFiles: ["src/testing/setup.ts"],
        },
      },
      {
        test: {
          name: "e2e",
          include: ["e2e/**/*.test.ts"],
          environment: "node",
          // One Postgres and a migrated template; each file clones its own database.
          globalSetup: ["@runnerplane/server/testing/global-setup"],
          testTimeout: 90_000,
          hookTimeout: 180_000,
          // Chromium is heavy on a shared 2-core machine: one browser file at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
