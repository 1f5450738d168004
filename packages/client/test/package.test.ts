/**
 * The published package as a user gets it: `pnpm pack`, install the tarball into an empty
 * project outside the workspace (registry dependencies only, no workspace links), type-check
 * the quickstart example under `strict`, and run it against a live server over every
 * protocol.
 */
import { execFile } from "node:child_process";
import { copyFile, lstat, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { seedOrganization, startTestServer, type TestServer } from "@runnerplane/server/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

let project: string;
let server: TestServer;
let token: string;

/** pnpm as the test run was started (npm_execpath), or from PATH. */
function pnpm(args: string[], cwd: string) {
  const execPath = process.env.npm_execpath;
  return execPath && /pnpm/.test(execPath)
    ? run(process.execPath, [execPath, ...args], { cwd })
    : run("pnpm", args, { cwd });
}

beforeAll(async () => {
  project = await mkdtemp(path.join(tmpdir(), "runnerplane-client-user-"));
  await pnpm(["pack", "--pack-destination", project], packageDir);
  const [tarball] = (await readdir(project)).filter((f) => f.endsWith(".tgz"));
  await writeFile(
    path.join(project, "package.json"),
    JSON.stringify({ name: "client-user", private: true, type: "module" }, null, 2),
  );
  await run("npm", ["install", `./${tarball}`, "@types/node@20", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: project,
  });
  await writeFile(
    path.join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        skipLibCheck: false,
        types: ["node"],
        outDir: "out",
      },
      files: ["quickstart.ts"],
    }),
  );
  await copyFile(path.join(packageDir, "examples/quickstart.ts"), path.join(project, "quickstart.ts"));
  server = await startTestServer();
  token = (await seedOrganization(server.sql, "Quickstart Co")).admin.token;
}, 300_000);

afterAll(async () => {
  await server?.close();
  if (project) await rm(project, { recursive: true, force: true });
});

describe("the packed client", () => {
  it("installs from its tarball with registry dependencies only", async () => {
    const installed = path.join(project, "node_modules/@runnerplane/client");
    expect((await lstat(installed)).isSymbolicLink()).toBe(false);
    const manifest = JSON.parse(await readFile(path.join(installed, "package.json"), "utf8"));
    expect(JSON.stringify(manifest.dependencies)).not.toContain("workspace:");
    expect(Object.keys(manifest.dependencies).every((d: string) => !d.startsWith("@runnerplane/"))).toBe(true);
    // The .proto sources ship with it, for clients in other languages.
    expect(await readdir(path.join(installed, "proto/gitpod/v1"))).toContain("runner.proto");
  });

  it("type-checks the quickstart under strict, as a user's project", async () => {
    await run(process.execPath, [tsc, "-p", project], { cwd: project });
  });

  it.each(["connect", "connect-binary", "grpc", "grpc-web"])(
    "runs the quickstart against a live server over %s",
    async (protocol) => {
      const { stdout } = await run(process.execPath, [path.join(project, "out/quickstart.js")], {
        cwd: project,
        env: {
          PATH: process.env.PATH ?? "",
          RUNNERPLANE_URL: server.baseUrl,
          RUNNERPLANE_TOKEN: token,
          RUNNERPLANE_PROTOCOL: protocol,
        },
      });
      expect(stdout).toMatch(/^signed in as [0-9a-f-]{36} in organization [0-9a-f-]{36}$/m);
      const runnerId = /^created runner ([0-9a-f-]{36})/m.exec(stdout)?.[1];
      expect(runnerId).toBeDefined();
      expect(stdout).toMatch(/^created environment class [0-9a-f-]{36}$/m);
      expect(stdout).toMatch(/^created SCM integration [0-9a-f-]{36}$/m);
      expect(stdout).toContain("an unknown runner is not_found, as expected");
      expect(stdout).toContain(
        `runner ${runnerId} quickstart ${protocol === "connect-binary" ? "connect binary" : protocol}`,
      );
    },
  );
});
