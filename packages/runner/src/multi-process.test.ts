/**
 * Two server processes on one Postgres: the reference runner (a third process) streams to
 * server B (dist/main.js of the server package, a process of its own); the call goes to
 * server A (this test process); the relay carries it through Postgres both ways.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Code, createRunnerplaneClient, errorCode } from "@runnerplane/client";
import { RunnerProvider } from "@runnerplane/client/gitpod/v1/runner_configuration_pb";
import {
  createTestDatabase,
  seedOrganization,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from "@runnerplane/server/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeScmServer, startFakeScmServer } from "./testing/fake-scm-server.js";

const runnerMain = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const serverMain = path.join(
  path.dirname(createRequire(import.meta.url).resolve("@runnerplane/server/testing")),
  "..",
  "main.js",
);

const children: ChildProcess[] = [];
let db: TestDatabase;
let serverA: TestServer;
let serverB: string;
let scm: FakeScmServer;
let stateDir: string;

function spawnChild(file: string, args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [file, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: process.env.PATH ?? "", ...env },
  });
  children.push(child);
  return child;
}

const secretKeys = `k1:${randomBytes(32).toString("base64")}`;
let serverBProcess: ChildProcess;

/** Server B: the server's real entry point, in a process of its own, on `port` (0: any). */
async function startServerB(port: number): Promise<string> {
  serverBProcess = spawnChild(serverMain, [], {
    PORT: String(port),
    HOST: "127.0.0.1",
    DATABASE_URL: db.url,
    RUNNERPLANE_SECRET_KEYS: secretKeys,
  });
  const b = serverBProcess;
  return new Promise<string>((resolve, reject) => {
    createInterface({ input: b.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      const entry = JSON.parse(line) as { msg?: string; port?: number };
      if (entry.msg === "listening") resolve(`http://127.0.0.1:${entry.port}`);
    });
    b.once("exit", (code) => reject(new Error(`server B exited (${code})`)));
  });
}

/** Asks until the call is not `unavailable` (the runner's stream is registered), or 30 s. */
async function untilAnswered<T>(call: () => Promise<T>): Promise<T> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
    const answer = await call().catch((e: unknown) => {
      if (errorCode(e) !== Code.Unavailable) throw e;
      return undefined;
    });
    if (answer !== undefined) return answer;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("no answer within 30 s");
}

/**
 * A new org and runner, the reference runner process streaming to server B, and a call that
 * asks it through server A.
 */
async function runnerOnServerB(orgName: string, dir: string) {
  const org = await seedOrganization(db.sql, orgName);
  const admin = createRunnerplaneClient({ baseUrl: serverA.baseUrl, token: org.admin.token });
  const { runner, exchangeToken } = await admin.runners.createRunner({
    name: `${orgName} runner`,
    provider: RunnerProvider.GCP,
  });
  const runnerId = runner?.runnerId ?? "";
  const args = ["--server", serverB, "--exchange-token", exchangeToken, "--state-dir", dir];
  spawnChild(runnerMain, [...args, "--scm-api", `github.com=${scm.url}/github`], {});
  const parse = () => admin.runners.parseContextURL({ runnerId, contextUrl: "https://github.com/acme/shared" });
  return { runnerId, parse };
}

beforeAll(async () => {
  db = await createTestDatabase();
  serverA = await startTestServer({ sql: db.sql });
  serverB = await startServerB(0);
  scm = await startFakeScmServer({ tokens: [], repos: [{ owner: "acme", name: "shared", defaultBranch: "develop" }] });
  stateDir = await mkdtemp(path.join(tmpdir(), "runnerplane-multi-"));
}, 120_000);

afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await scm?.close();
  await serverA?.close();
  await db?.drop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe("two server processes on one Postgres", () => {
  it("relays a call made to one process to a runner streaming to the other", async () => {
    const { runnerId, parse } = await runnerOnServerB("Replicas", stateDir);
    const answer = await untilAnswered(parse);
    expect(answer.git).toMatchObject({ owner: "acme", repo: "shared", branch: "develop" });
    // The runner has one stream, and it is to server B (its --server): the call crossed processes.
    const [row] =
      await db.sql`select count(*)::int as n from runner_connections where runner_id = ${runnerId} and lane = 'gitpod'`;
    expect(row?.n).toBe(1);
  }, 60_000);

  it("keeps working when the server the runner streams to restarts", async () => {
    const port = Number(new URL(serverB).port);
    const dir = await mkdtemp(path.join(tmpdir(), "runnerplane-restart-"));
    const { parse } = await runnerOnServerB("Restarts", dir);
    await untilAnswered(parse);

    const stopped = new Promise((resolve) => serverBProcess.once("exit", resolve));
    serverBProcess.kill("SIGTERM");
    await stopped;
    expect(errorCode(await parse().catch((e) => e))).toBe(Code.Unavailable);

    await startServerB(port); // same address: the runner reconnects with backoff and registers again
    const answer = await untilAnswered(parse);
    expect(answer.git?.branch).toBe("develop");
    await rm(dir, { recursive: true, force: true });
  }, 90_000);
});
