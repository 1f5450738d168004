/**
 * Bad days (behaviour.md §9, docs/database-faults.md): the real server as its own process
 * (dist/main.js) on a Postgres cluster of this file's own (fsync on), under concurrent
 * writes, while Postgres restarts (fast and immediate), stops for 3 s, and the server is
 * killed outright and stopped with SIGTERM. For each fault:
 *
 * - the server process survives it (or, killed, restarts cleanly);
 * - every answer is 200 or 503 `unavailable` — or `unknown` with `x-should-retry: false`
 *   for a write whose COMMIT was under way when the connection was lost — never
 *   `internal`, and none waits for the deadline;
 * - it serves again within about a second of Postgres being back;
 * - every acknowledged write is in the database with its last acknowledged value, and no
 *   write answered with an error left a row.
 *
 * `RUNNERPLANE_FAULT_SOAK=<rounds>` repeats every fault that many times (default 1);
 * `RUNNERPLANE_FAULT_SUMMARY=1` prints the answers each fault got.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabaseIfMissing } from "./db/databases.js";
import { type EmbeddedPostgres, freePort, startEmbeddedPostgres } from "./db/embedded-postgres.js";
import { createSql, type Sql } from "./db/sql.js";
import { silentLogger } from "./logging/index.js";
import { seedOrganization } from "./testing/index.js";

const mainJs = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const rounds = Number(process.env.RUNNERPLANE_FAULT_SOAK ?? "1") || 1;
const loops = 16;
/** The server's deadline: an answer this slow would be a hang, not a fast failure. */
const deadlineMs = 10_000;
/** What "about a second" may take on a loaded CI machine. */
const recoveryBoundMs = 2_500;
const fastFailureBoundMs = 3_000;

let dir: string;
let pg: EmbeddedPostgres;
let sql: Sql;
let token: string;
let port: number;
let server: { child: ChildProcess; exited: Promise<number | null>; stderr: () => string } | undefined;

interface Outcome {
  kind: "create" | "update";
  /** Runner name the request asked for. */
  name: string;
  runnerId?: string;
  startedAt: number;
  ms: number;
  /** HTTP status, or undefined when no answer came (connection refused or reset). */
  status?: number;
  code?: string;
  shouldRetry?: string | null;
}

const outcomes: Outcome[] = [];
/** Last acknowledged name of each runner whose create was acknowledged. */
const acknowledged = new Map<string, string>();
/** Names a rename with an unknown outcome (after the last acknowledged one) may have set. */
const maybe = new Map<string, Set<string>>();
let sequence = 0;
let loading = false;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "runnerplane-faults-"));
  pg = await startEmbeddedPostgres({ dataDir: dir, log: silentLogger });
  await createDatabaseIfMissing(pg.url("postgres"), "runnerplane");
  port = await freePort();
  await startServer();
  sql = createSql(pg.url("runnerplane"), { max: 2 });
  token = (await seedOrganization(sql)).admin.token;
}, 120_000);

afterAll(async () => {
  loading = false;
  if (server?.child.exitCode === null) server.child.kill("SIGKILL");
  await server?.exited;
  await sql?.end({ timeout: 1 });
  await pg?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function startServer(): Promise<void> {
  const child = spawn(process.execPath, [mainJs], {
    env: {
      PATH: process.env.PATH ?? "",
      PORT: String(port),
      HOST: "127.0.0.1",
      DATABASE_URL: pg.url("runnerplane"),
      RUNNERPLANE_SECRET_KEYS: `k1:${Buffer.alloc(32, 7).toString("base64")}`,
      RUNNERPLANE_REQUEST_TIMEOUT_MS: String(deadlineMs),
      RUNNERPLANE_SHUTDOWN_TIMEOUT_MS: "5000",
      RUNNERPLANE_LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  server = { child, exited, stderr: () => stderr };
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  lines.on("line", () => {}); // warnings about the database are expected here
  // Listening once /healthz answers.
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early: ${stderr}`);
    const up = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return;
    if (Date.now() - started > 30_000) throw new Error(`server did not start: ${stderr}`);
    await sleep(50);
  }
}

async function call(method: string, body: unknown): Promise<Omit<Outcome, "kind" | "name" | "startedAt">> {
  const started = performance.now();
  try {
    const res = await fetch(`http://127.0.0.1:${port}/gitpod.v1.RunnerService/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(deadlineMs + 5_000),
    });
    const json = (await res.json()) as { code?: string; runner?: { runnerId?: string } };
    const runnerId = json.runner?.runnerId;
    return {
      ms: performance.now() - started,
      status: res.status,
      ...(res.status === 200 ? {} : { code: json.code, shouldRetry: res.headers.get("x-should-retry") }),
      ...(runnerId ? { runnerId } : {}),
    };
  } catch {
    return { ms: performance.now() - started };
  }
}

/** One writer: creates runners, and renames every third one it created. */
async function writer(loop: number): Promise<void> {
  const mine: string[] = [];
  while (loading) {
    const n = sequence++;
    const startedAt = Date.now();
    if (n % 3 === 2 && mine.length > 0) {
      const runnerId = mine[n % mine.length] as string;
      const name = `renamed-${loop}-${n}`;
      const result = await call("UpdateRunner", { runnerId, name });
      outcomes.push({ kind: "update", name, runnerId, startedAt, ...result });
      if (result.status === 200) {
        acknowledged.set(runnerId, name);
        maybe.delete(runnerId);
      } else if (result.code !== "unavailable") {
        maybe.set(runnerId, (maybe.get(runnerId) ?? new Set()).add(name));
      }
    } else {
      const name = `created-${loop}-${n}`;
      const result = await call("CreateRunner", { name, provider: "RUNNER_PROVIDER_LINUX_HOST" });
      outcomes.push({ kind: "create", startedAt, ...result, name });
      if (result.status === 200 && result.runnerId) {
        acknowledged.set(result.runnerId, name);
        mine.push(result.runnerId);
      }
    }
    if (outcomes.at(-1)?.status !== 200) await sleep(20); // do not spin while everything fails
  }
}

/** Runs `fault` under write load; returns the outcomes of requests started in that time. */
async function underLoad(fault: () => Promise<number | undefined>) {
  const from = outcomes.length;
  loading = true;
  const writers = Array.from({ length: loops }, (_, i) => writer(i));
  await sleep(1_000);
  const backAt = await fault();
  await sleep(2_000);
  loading = false;
  await Promise.all(writers);
  const seen = outcomes.slice(from);
  if (process.env.RUNNERPLANE_FAULT_SUMMARY) {
    // What each fault looked like from the clients' side: answers by kind, the slowest one.
    const answers: Record<string, number> = {};
    for (const o of seen) {
      const key = `${o.kind} ${o.status ?? "no answer"} ${o.code ?? ""}`.trim();
      answers[key] = (answers[key] ?? 0) + 1;
    }
    console.log(JSON.stringify({ answers, slowestMs: Math.round(Math.max(...seen.map((o) => o.ms))) }));
  }
  return { seen, backAt };
}

function expectHonestAnswers(seen: Outcome[], options: { serverDown?: boolean } = {}) {
  expect(seen.filter((o) => o.status === 200).length).toBeGreaterThan(0);
  for (const o of seen) {
    if (o.status === undefined) {
      // No answer at all: only while the server itself was down.
      expect(options.serverDown, `no answer to ${o.kind} ${o.name}`).toBe(true);
      continue;
    }
    if (o.status === 200) continue;
    if (o.code === "unknown" || o.code === "deadline_exceeded") {
      // Outcome not known: only for a write whose commit was under way, never retried blindly.
      expect(o.kind === "update" || o.shouldRetry === "false", `${o.kind} ${o.code}`).toBe(true);
      continue;
    }
    expect({ status: o.status, code: o.code }).toEqual({ status: 503, code: "unavailable" });
  }
  for (const o of seen) {
    if (o.status !== undefined)
      expect(o.ms, `${o.kind} ${o.name} answered ${o.status}`).toBeLessThan(fastFailureBoundMs);
  }
}

/** The first request started after `backAt` that succeeded, relative to it. */
function recoveredAfter(seen: Outcome[], backAt: number): number {
  const first = seen.filter((o) => o.startedAt >= backAt && o.status === 200).map((o) => o.startedAt - backAt);
  expect(first.length, "nothing succeeded after the fault").toBeGreaterThan(0);
  return Math.min(...first);
}

function expectServerAlive() {
  expect(server?.child.exitCode, server?.stderr()).toBeNull();
  expect(server?.stderr() ?? "").not.toMatch(/TypeError|uncaught/i);
}

describe.sequential("the server on a bad day, under concurrent writes", () => {
  for (let round = 1; round <= rounds; round++) {
    const suffix = rounds > 1 ? ` (round ${round})` : "";

    it.each([
      ["restarting with -m fast", "fast"],
      ["crashing (-m immediate) and recovering", "immediate"],
    ] as const)(
      `survives Postgres %s${suffix}`,
      async (_, mode) => {
        const { seen, backAt } = await underLoad(async () => {
          await pg.stop(mode);
          await pg.start();
          return Date.now();
        });
        expectServerAlive();
        expectHonestAnswers(seen);
        expect(recoveredAfter(seen, backAt as number)).toBeLessThan(recoveryBoundMs);
      },
      60_000,
    );

    it(`fails fast while Postgres is stopped for 3 s, and serves again within about a second${suffix}`, async () => {
      let stoppedAt = 0;
      const { seen, backAt } = await underLoad(async () => {
        await pg.stop("fast");
        stoppedAt = Date.now();
        const readyz = await timedFetch(`http://127.0.0.1:${port}/readyz`);
        const healthz = await timedFetch(`http://127.0.0.1:${port}/healthz`);
        expect(readyz.status).toBe(503);
        expect(readyz.ms).toBeLessThan(1_500);
        expect(healthz.status).toBe(200);
        await sleep(3_000);
        await pg.start();
        return Date.now();
      });
      expectServerAlive();
      expectHonestAnswers(seen);
      const during = seen.filter((o) => o.startedAt > stoppedAt + 1_500 && o.startedAt < (backAt as number) - 200);
      expect(during.length).toBeGreaterThan(0);
      for (const o of during) expect(o.status).toBe(503);
      expect(recoveredAfter(seen, backAt as number)).toBeLessThan(recoveryBoundMs);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    }, 60_000);

    it(`restarts cleanly after being killed with SIGKILL${suffix}`, async () => {
      const { seen } = await underLoad(async () => {
        server?.child.kill("SIGKILL");
        await server?.exited;
        await startServer();
        return Date.now();
      });
      expectServerAlive();
      expectHonestAnswers(seen, { serverDown: true });
    }, 90_000);
  }

  it("stops on SIGTERM with exit code 0, answering what it had started", async () => {
    const { seen } = await underLoad(async () => {
      server?.child.kill("SIGTERM");
      expect(await server?.exited).toBe(0);
      return Date.now();
    });
    expectHonestAnswers(seen, { serverDown: true });
    await startServer(); // for the final check of what was written
  }, 60_000);

  it("kept every acknowledged write with its last acknowledged value, and nothing answered with an error", async () => {
    const rows = await sql<{ id: string; name: string }[]>`select id, name from runners`;
    const byId = new Map(rows.map((r) => [r.id, r.name]));
    const names = new Set(rows.map((r) => r.name));
    expect(acknowledged.size).toBeGreaterThan(100);
    for (const [id, name] of acknowledged) {
      const stored = byId.get(id) ?? "(missing)";
      if (!maybe.get(id)?.has(stored)) expect(stored, `runner ${id}`).toBe(name);
    }
    const failedCreates = outcomes.filter(
      (o) => o.kind === "create" && o.status !== undefined && o.status !== 200 && o.code === "unavailable",
    );
    for (const o of failedCreates) expect(names.has(o.name), `${o.name} was answered ${o.code}`).toBe(false);
    const failedUpdates = outcomes.filter((o) => o.kind === "update" && o.code === "unavailable");
    for (const o of failedUpdates) expect(names.has(o.name), `${o.name} was answered ${o.code}`).toBe(false);
  });
});

async function timedFetch(url: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
