/**
 * dist/unary-floor.js at a tiny rate: both paths answer every call, and a cost per call is
 * printed. Nothing here looks at the figures themselves.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const unaryFloorJs = fileURLToPath(new URL("../dist/unary-floor.js", import.meta.url));

function run(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [unaryFloorJs, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const add = (chunk: Buffer) => {
      output += chunk.toString();
    };
    child.stdout.on("data", add);
    child.stderr.on("data", add);
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, output }));
  });
}

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
