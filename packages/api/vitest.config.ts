import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Both test files run buf (generate, build); on a 2-core CI machine busy with the other
    // packages' suites, one run can take well over vitest's default 5 s.
    testTimeout: 60_000,
  },
});
