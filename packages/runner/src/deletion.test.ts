/**
 * The reference runner asked to go (behaviour.md §8: DeleteRunner without force sets the
 * desired phase DELETED), against the real server and Postgres: it deletes itself and
 * stops, and an acknowledgement that failed is tried again until it is done.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Code, createRunnerplaneClient, errorCode, type RunnerplaneClient } from "@runnerplane/client";
import { RunnerProvider } from "@runnerplane/client/gitpod/v1/runner_configuration_pb";
import { RunnerPhase } from "@runnerplane/client/gitpod/v1/runner_pb";
import { seedOrganization, startTestServer, type TestServer, within } from "@runnerplane/server/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type RunningRunner, startRunner } from "./runner.js";

let server: TestServer;
let admin: RunnerplaneClient;
const stateDirs: string[] = [];
const running: RunningRunner[] = [];

beforeAll(async () => {
  // A short deadline, so that an acknowledgement held up fails within the test.
  server = await startTestServer({ config: { requestTimeoutMs: 2_000 } });
  const org = await seedOrganization(server.sql, "Deletion Org");
  admin = createRunnerplaneClient({ baseUrl: server.baseUrl, token: org.admin.token });
});
afterAll(async () => {
  for (const r of running) await r.stop();
  await server.close();
  for (const dir of stateDirs) await rm(dir, { recursive: true, force: true });
});

/** A new runner, started and reporting; its log lines as they come. */
async function startedRunner(name: string) {
  const created = await admin.runners.createRunner({ name, provider: RunnerProvider.AWS_EC2 });
  const stateDir = await mkdtemp(path.join(tmpdir(), "runner-deletion-"));
  stateDirs.push(stateDir);
  const log: string[] = [];
  const runner = await startRunner({
    serverUrl: server.baseUrl,
    exchangeToken: created.exchangeToken,
    stateDir,
    heartbeatMs: 1_000,
    log: (message) => log.push(message),
  });
  running.push(runner);
  const { runner: status } = await admin.runners.getRunner({ runnerId: runner.runnerId });
  expect(status?.status?.phase).toBe(RunnerPhase.ACTIVE);
  // Its request stream is registered: the event of a deletion reaches it.
  await vi.waitFor(
    async () => {
      const [row] = await server.sql<{ n: number }[]>`
        select count(*)::int as n from runner_connections where runner_id = ${runner.runnerId} and lane = 'gitpod'`;
      expect(row?.n).toBe(1);
    },
    { timeout: 10_000, interval: 50 },
  );
  return { runner, log };
}

const gone = async (runnerId: string) =>
  errorCode(await admin.runners.getRunner({ runnerId }).catch((e: unknown) => e)) === Code.NotFound;

describe("the reference runner asked to go", () => {
  it("deletes itself and stops", async () => {
    const { runner } = await startedRunner("asked to go");
    await admin.runners.deleteRunner({ runnerId: runner.runnerId });
    await within(runner.done, 15_000);
    expect(await gone(runner.runnerId)).toBe(true);
  });

  it("tries its acknowledgement again when it failed, until it is done", async () => {
    const { runner, log } = await startedRunner("held up");
    // A transaction that holds a key-share lock on the runner's row (as an insert of a row
    // referencing it does) lets the desired phase change but holds up the runner's delete
    // past the server's deadline.
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const holding = server.sql.begin(async (tx) => {
      await tx`select id from runners where id = ${runner.runnerId} for key share`;
      await released;
    });
    try {
      await admin.runners.deleteRunner({ runnerId: runner.runnerId });
      await vi.waitFor(() => expect(log).toContain("could not acknowledge the deletion; trying again"), {
        timeout: 15_000,
      });
      expect(await gone(runner.runnerId)).toBe(false);
    } finally {
      release();
      await holding;
    }
    await within(runner.done, 15_000);
    expect(await gone(runner.runnerId)).toBe(true);
  });
});
