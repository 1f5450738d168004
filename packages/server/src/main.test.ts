/**
 * The real entry point (dist/main.js, built by `pnpm build`; turbo builds before
 * testing) as a separate process: graceful shutdown, and the embedded-Postgres default.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import {
  createTestDatabase,
  mainJs,
  seedOrganization,
  startMain as startMainProcess,
  type TestDatabase,
} from "./testing/index.js";

const cliJs = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
const run = promisify(execFile);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const startMain = (env: Record<string, string>) => startMainProcess(env, cleanups);

function connectRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (e: NodeJS.ErrnoException) => resolve(e.code === "ECONNREFUSED"));
  });
}

describe("graceful shutdown", () => {
  let db: TestDatabase;

  it("finishes the in-flight request, refuses new connections, and exits 0", async () => {
    db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const { admin } = await seedOrganization(db.sql);
    const server = await startMain({
      DATABASE_URL: db.url,
      RUNNERPLANE_SECRET_KEYS: `k1:${Buffer.alloc(32, 1).toString("base64")}`,
      RUNNERPLANE_SHUTDOWN_TIMEOUT_MS: "10000",
    });

    // A request whose body arrives in two halves stays in flight between them.
    const body = "{}";
    let sendRest = () => {};
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: "127.0.0.1",
          port: server.port,
          method: "POST",
          path: "/gitpod.v1.IdentityService/GetAuthenticatedIdentity",
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
            authorization: `Bearer ${admin.token}`,
          },
        },
        (res) => {
          let text = "";
          res.on("data", (c: Buffer) => {
            text += c.toString();
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on("error", reject);
      req.write(body.slice(0, 1));
      cleanups.push(async () => void req.destroy());
      sendRest = () => req.end(body.slice(1));
    });
    await new Promise((r) => setTimeout(r, 200));

    server.child.kill("SIGTERM");
    await expect.poll(() => server.lines.some((l) => l.msg === "shutting down")).toBe(true);
    expect(await connectRefused(server.port)).toBe(true);
    expect(server.child.exitCode).toBeNull(); // still waiting for the in-flight request

    sendRest();
    const answered = await response;
    expect(answered.status).toBe(200);
    expect(JSON.parse(answered.text)).toMatchObject({
      subject: { id: admin.member.id, principal: "PRINCIPAL_USER" },
    });
    expect(await server.exited).toBe(0);
    expect(server.lines.at(-1)?.msg).toBe("stopped");
  });
});

describe("configuration", () => {
  it("refuses to start with a CORS origin that could never match, naming the variable", async () => {
    const result = await run(process.execPath, [mainJs], {
      env: { PATH: process.env.PATH ?? "", PORT: "0", RUNNERPLANE_CORS_ORIGINS: "https://console.example.com/" },
    }).catch((e: { code: number; stderr: string }) => e);
    expect(result).toMatchObject({ code: 1 });
    expect((result as { stderr: string }).stderr).toContain("RUNNERPLANE_CORS_ORIGINS");
  });

  it("refuses to start with an external database and no secret keys, saying what to set", async () => {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const result = await run(process.execPath, [mainJs], {
      env: { PATH: process.env.PATH ?? "", PORT: "0", DATABASE_URL: db.url },
    }).catch((e: { code: number; stderr: string }) => e);
    expect(result).toMatchObject({ code: 1 });
    expect((result as { stderr: string }).stderr).toContain("RUNNERPLANE_SECRET_KEYS is required with DATABASE_URL");
  });

  it("refuses a malformed secret key", async () => {
    const result = await run(process.execPath, [mainJs], {
      env: { PATH: process.env.PATH ?? "", PORT: "0", RUNNERPLANE_SECRET_KEYS: "k1:tooshort" },
    }).catch((e: { code: number; stderr: string }) => e);
    expect(result).toMatchObject({ code: 1 });
    expect((result as { stderr: string }).stderr).toContain("RUNNERPLANE_SECRET_KEYS: each secret key must be");
  });
});

describe("the embedded Postgres default", () => {
  it("starts a Postgres of its own when DATABASE_URL is unset, serves, and stops it on exit", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "runnerplane-embedded-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const server = await startMain({ RUNNERPLANE_DATA_DIR: dataDir });
    const pgPort = server.lines.find((l) => l.msg === "using the embedded postgres")?.port as number;
    expect(pgPort).toBeGreaterThan(0);

    const ready = await fetch(`http://127.0.0.1:${server.port}/readyz`);
    expect(ready.status).toBe(200);

    // The first start created a default org and admin, and left the admin's token here.
    const tokenFile = path.join(dataDir, "admin-token");
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    // …and a key for secrets at rest, generated once, owner-only.
    expect((await stat(path.join(dataDir, "secret-keys"))).mode & 0o777).toBe(0o600);
    const token = (await readFile(tokenFile, "utf8")).trim();
    const identity = await fetch(`http://127.0.0.1:${server.port}/gitpod.v1.IdentityService/GetAuthenticatedIdentity`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: "{}",
    });
    expect(identity.status).toBe(200);

    // The CLI works on the running server's database instead of starting another.
    const { stdout } = await run(process.execPath, [cliJs, "orgs", "list", "--json"], {
      env: { PATH: process.env.PATH ?? "", RUNNERPLANE_DATA_DIR: dataDir },
    });
    expect((JSON.parse(stdout) as { name: string }[]).map((o) => o.name)).toEqual(["default"]);

    // A second server on the same data directory refuses to start rather than share it.
    const second = await run(process.execPath, [mainJs], {
      env: { PATH: process.env.PATH ?? "", PORT: "0", RUNNERPLANE_DATA_DIR: dataDir },
    }).catch((e: { code: number; stderr: string }) => e);
    expect(second).toMatchObject({ code: 1 });
    expect((second as { stderr: string }).stderr).toContain("is in use by another runnerplane process");

    server.child.kill("SIGINT");
    expect(await server.exited).toBe(0);
    expect(await connectRefused(pgPort)).toBe(true);
  });

  it("starts again after being killed outright, taking over the Postgres it left behind", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "runnerplane-embedded-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const first = await startMain({ RUNNERPLANE_DATA_DIR: dataDir });
    const firstPgPort = first.lines.find((l) => l.msg === "using the embedded postgres")?.port as number;
    first.child.kill("SIGKILL");
    await first.exited;
    expect(await connectRefused(firstPgPort)).toBe(false); // the orphan still runs

    const tokenBefore = await readFile(path.join(dataDir, "admin-token"), "utf8");
    const second = await startMain({ RUNNERPLANE_DATA_DIR: dataDir });
    expect((await fetch(`http://127.0.0.1:${second.port}/readyz`)).status).toBe(200);
    // Not the first start any more: no second default org, the same admin token.
    expect(second.lines.some((l) => String(l.msg).startsWith("created the default organization"))).toBe(false);
    expect(await readFile(path.join(dataDir, "admin-token"), "utf8")).toBe(tokenBefore);
    expect(await connectRefused(firstPgPort)).toBe(true);
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  });
});
