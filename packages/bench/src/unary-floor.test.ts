/**
 * dist/unary-floor.js at a tiny rate: both paths answer every call, and a cost per call is
 * printed. Nothing here looks at the figures themselves.
 */
import { expect, test } from "vitest";
import { runTool } from "./run-tool.js";

const run = (args: string[]) => runTool("unary-floor", args);

test.each(["connect-es", "lean"])(
  "every no-op call through %s is answered, and its cost reported",
  async (path) => {
    const { code, output } = await run(["--path", path, "--rate", "50", "--seconds", "1"]);
    expect(output).toMatch(
      new RegExp(
        `^${path}: \\d+ calls at 50/s over 90 HTTP/2 sessions, 0 errors; server CPU [\\d.]+% of a core, [\\d.]+ ms per call$`,
        "m",
      ),
    );
    expect(code).toBe(0);
  },
  60_000,
);

test("refuses an unknown path", async () => {
  const { code, output } = await run(["--path", "carrier-pigeon"]);
  expect(code).toBe(1);
  expect(output).toContain("usage: --path");
});
