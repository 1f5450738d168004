/**
 * The committed generated code must be exactly what `pnpm generate` produces from the
 * .proto files: regenerate into a temporary directory and compare file by file.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../../", import.meta.url));
const committed = path.join(root, "packages/api/src/gen");
let out: string | undefined;

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe("generated code", () => {
  it("matches what buf generate produces from proto/", async () => {
    out = await mkdtemp(path.join(tmpdir(), "runnerplane-gen-"));
    const bin = path.join(root, "node_modules/.bin");
    await run(path.join(bin, "buf"), ["generate", "--output", out], {
      cwd: root,
      env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}` },
    });
    const fresh = path.join(out, "packages/api/src/gen");
    const names = await files(fresh);
    expect(names.length).toBeGreaterThan(0);
    expect(await files(committed), "the set of generated files differs: run `pnpm generate`").toEqual(names);
    for (const name of names) {
      const [want, have] = await Promise.all([
        readFile(path.join(fresh, name), "utf8"),
        readFile(path.join(committed, name), "utf8"),
      ]);
      expect(have, `${name} is stale: run \`pnpm generate\` and commit the result`).toBe(want);
    }
  });
});
