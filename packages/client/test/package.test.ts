/**
 * The published package as a user gets it: `pnpm pack`, check the tarball's exports with
 * `attw` (arethetypeswrong), install it into an empty project outside the workspace (registry
 * dependencies only, no workspace links), type-check the examples under `strict` (ESM, and
 * CommonJS through a .cts file), and run them against a live server: the quickstart over
 * every protocol, the decoding of a validation error, and the CommonJS build.
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
const require = createRequire(import.meta.url);
const tsc = require.resolve("typescript/bin/tsc");
const attw = path.join(path.dirname(require.resolve("@arethetypeswrong/cli/package.json")), "dist/index.js");
/** The examples a user's project compiles and runs (examples/*). */
const examples = ["quickstart.ts", "field-violations.ts", "require.cts"];

let project: string;
let tarball: string;
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
  const [packed] = (await readdir(project)).filter((f) => f.endsWith(".tgz"));
  if (!packed) throw new Error("pnpm pack wrote no tarball");
  tarball = packed;
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
      files: examples,
    }),
  );
  for (const example of examples) {
    await copyFile(path.join(packageDir, "examples", example), path.join(project, example));
  }
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

  it("resolves with types for node10, node16 (from ESM and from CommonJS) and bundlers: attw finds no problem", async () => {
    // The tarball pnpm packed (what is published), rather than attw's own `--pack`, which
    // would pack again with npm. Wildcard subpaths are checked through named entrypoints.
    const { stdout } = await run(
      process.execPath,
      [
        attw,
        path.join(project, tarball),
        "--format",
        "json",
        "--no-definitely-typed",
        "--include-entrypoints",
        "./gitpod/v1/runner_pb",
        "./gitpod/v1/runner_configuration_pb",
        "./gitpod/v1/runner_interaction_pb",
        "./gitpod/v1/identity_pb",
        "./runnerplane/validate/v1/validate_pb",
        "./runnerplane/runner/v1/runner_extension_pb",
      ],
      { cwd: project, maxBuffer: 64 * 1024 * 1024 },
    ).catch((error: { stdout?: string }) => {
      // attw exits 1 when it finds problems; its report is still on stdout.
      if (typeof error.stdout === "string" && error.stdout.startsWith("{")) return { stdout: error.stdout };
      throw error;
    });
    const report = JSON.parse(stdout) as {
      analysis: {
        problems: unknown[];
        entrypoints: Record<string, { resolutions: Record<string, { resolution?: { fileName: string } }> }>;
      };
    };
    expect(report.analysis.problems).toEqual([]);
    const root = report.analysis.entrypoints["."]?.resolutions;
    expect(root?.["node16-cjs"]?.resolution?.fileName).toMatch(/\/dist\/cjs\/index\.d\.ts$/);
    expect(root?.["node16-esm"]?.resolution?.fileName).toMatch(/\/dist\/index\.d\.ts$/);
    expect(root?.bundler?.resolution?.fileName).toMatch(/\/dist\/index\.d\.ts$/);
    const validate = report.analysis.entrypoints["./runnerplane/validate/v1/validate_pb"]?.resolutions;
    expect(validate?.node10?.resolution?.fileName).toMatch(/validate_pb\.d\.ts$/);
  });

  // tsc reads every declaration of the packed package (the second wave's services made it
  // twice as big); on a busy 2-core machine that alone can take a minute.
  it("type-checks the examples under strict, as a user's project (ESM and CommonJS)", {
    timeout: 180_000,
  }, async () => {
    await run(process.execPath, [tsc, "-p", project], { cwd: project });
  });

  const runExample = (file: string) =>
    run(process.execPath, [path.join(project, "out", file)], {
      cwd: project,
      env: { PATH: process.env.PATH ?? "", RUNNERPLANE_URL: server.baseUrl, RUNNERPLANE_TOKEN: token },
    });

  it("decodes the field violations of an invalid_argument, with the helper and as the detail message", async () => {
    const { stdout } = await runExample("field-violations.js");
    expect(stdout.split("\n").filter((line) => line.startsWith("violation "))).toEqual([
      "violation name string.min_len: value length must be at least 3 characters",
      "violation runner_manager_id string.uuid: value must be a valid UUID",
    ]);
    expect(stdout).toContain("2 violations in the detail");
  });

  it("works from CommonJS (require), through the CommonJS build", async () => {
    const installed = path.join(project, "node_modules/@runnerplane/client");
    const manifest = JSON.parse(await readFile(path.join(installed, "dist/cjs/package.json"), "utf8"));
    expect(manifest.type).toBe("commonjs");
    const { stdout } = await runExample("require.cjs");
    expect(stdout).toMatch(/^signed in from CommonJS as [0-9a-f-]{36}$/m);
    expect(stdout).toContain("violation runner_id string.uuid: value must be a valid UUID");
    expect(stdout).toContain("1 violation in the detail");
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
