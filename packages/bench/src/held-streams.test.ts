/**
 * dist/held-streams.js at a tiny size, on the test run's Postgres: every stream opens on each
 * transport, with the lean path and without, and a cost per stream is printed. Nothing here
 * looks at the figures themselves.
 */
// Declares what the shared global setup provides (adminUrl).
import type {} from "@runnerplane/server/testing/global-setup";
import { expect, inject, test } from "vitest";
import { runTool } from "./run-tool.js";

const run = (args: string[]) =>
  runTool("held-streams", args, { nodeArgs: ["--expose-gc"], env: { DATABASE_URL: inject("adminUrl") } });

test.each([
  ["grpc-h2", "lean path", []],
  ["connect-h2", "lean path", []],
  ["connect-h1", "lean path", []],
  ["grpc-h2", "connect-es", ["--connect-es"]],
])(
  "%s streams all open and their cost is reported (%s)",
  async (transport, path, extra) => {
    const { code, output } = await run(["--streams", "5", "--transport", transport, ...extra]);
    expect(output).toMatch(
      new RegExp(
        `^5 streams over ${transport}, ${path}, open in [\\d.]+ s: [-\\d.]+ KB live heap and [-\\d.]+ KB RSS per stream`,
        "m",
      ),
    );
    expect(code).toBe(0);
  },
  120_000,
);

test("refuses an unknown transport", async () => {
  const { code, output } = await run(["--transport", "carrier-pigeon"]);
  expect(code).toBe(1);
  expect(output).toContain("usage: --streams");
});
