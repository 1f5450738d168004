/**
 * A runner's status over the real server and Postgres (behaviour.md §4, §8): what
 * UpdateRunnerStatus stores, and the phase derived from renewals (services/liveness.ts) as
 * GetRunner, ListRunners, ListEnvironmentClasses(can_create_environments) and
 * ParseContextURL's choice of runner all see it. The server runs on a manual clock.
 */
import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { GatewayInfoSchema, RunnerCapability, RunnerPhase } from "@runnerplane/api/gitpod/v1/runner_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Clients, clientsFor } from "../testing/access-matrix.js";
import {
  callError,
  createTestRunner,
  type ManualClock,
  manualClock,
  type SeededOrganization,
  seedOrganization,
  startCountingServer,
  startTestServer,
  type TestRunner,
  type TestServer,
} from "../testing/index.js";

let server: TestServer;
let clock: ManualClock;
let org: SeededOrganization;
let admin: Clients;
let member: Clients;

beforeAll(async () => {
  clock = manualClock(new Date("2026-05-04T08:00:00Z"));
  server = await startTestServer({ clock });
  org = await seedOrganization(server.sql, "Heartbeats Inc");
  admin = clientsFor(server.baseUrl, org.admin.token);
  member = clientsFor(server.baseUrl, org.member.token);
});
afterAll(() => server.close());

function newRunner(name = "status runner", token = org.admin.token): Promise<TestRunner> {
  return createTestRunner(server.baseUrl, token, { name });
}

async function statusOf(runnerId: string, clients = admin) {
  const { runner } = await clients.runners.getRunner({ runnerId });
  if (!runner?.status) throw new Error("GetRunner answered without a status");
  return runner.status;
}

const phaseOf = async (runnerId: string) => (await statusOf(runnerId)).phase;

function report(
  r: TestRunner,
  init: Omit<Parameters<Clients["interaction"]["updateRunnerStatus"]>[0], "runnerId" | "$typeName"> = {},
) {
  return r.clients.interaction.updateRunnerStatus({ ...init, runnerId: r.runnerId });
}

const seconds = (s: number) => s * 1_000;

describe("UpdateRunnerStatus stores what the runner reports", () => {
  it("stores every field and shows it in GetRunner", async () => {
    const r = await newRunner();
    const gatewayInfo = {
      gateway: { name: "eu-gw-1", url: "https://gw.example/eu-1", region: "eu-central-1" },
      latency: { seconds: 0n, nanos: 25_000_000 },
    };
    await report(r, {
      version: "2026.5.1",
      systemDetails: "linux/amd64, 8 cores",
      logUrl: "https://logs.example/runner/1",
      region: "eu-central-1",
      capabilities: [RunnerCapability.LIST_SCM_ORGANIZATIONS, RunnerCapability.CHECK_REPOSITORY_ACCESS],
      gatewayInfo,
      llmUrl: "https://llm.example/v1",
      supportBundleUrl: "https://support.example/bundle/1",
      additionalInfo: [{ key: "stack", value: "arn:aws:cloudformation:stack/1" }],
    });
    const status = await statusOf(r.runnerId);
    expect(status).toMatchObject({
      phase: RunnerPhase.ACTIVE,
      version: "2026.5.1",
      systemDetails: "linux/amd64, 8 cores",
      logUrl: "https://logs.example/runner/1",
      region: "eu-central-1",
      message: "",
      capabilities: [RunnerCapability.LIST_SCM_ORGANIZATIONS, RunnerCapability.CHECK_REPOSITORY_ACCESS],
      llmUrl: "https://llm.example/v1",
      supportBundleUrl: "https://support.example/bundle/1",
      additionalInfo: [{ key: "stack", value: "arn:aws:cloudformation:stack/1" }],
    });
    expect(status.gatewayInfo).toEqual(create(GatewayInfoSchema, gatewayInfo));
    expect(status.updatedAt && timestampDate(status.updatedAt)).toEqual(clock.now());
    // The runner reads the same through its own token; a member of the org too.
    expect(await statusOf(r.runnerId, r.clients)).toEqual(status);
    expect(await statusOf(r.runnerId, member)).toEqual(status);
  });

  it("leaves fields the report does not carry unchanged, and stores an explicit empty value", async () => {
    const r = await newRunner();
    await report(r, {
      version: "1.0.0",
      systemDetails: "first machine",
      logUrl: "https://logs.example/a",
      region: "us-east-1",
      capabilities: [RunnerCapability.AGENT_EXECUTION],
      gatewayInfo: { gateway: { name: "gw", url: "https://gw.example" } },
      llmUrl: "https://llm.example/a",
      supportBundleUrl: "https://support.example/a",
    });
    const before = await statusOf(r.runnerId);
    clock.advance(seconds(5));
    await report(r, { version: "1.0.1" });
    const after = await statusOf(r.runnerId);
    expect(after).toEqual({ ...before, version: "1.0.1", updatedAt: after.updatedAt });
    expect(after.updatedAt && timestampDate(after.updatedAt)).toEqual(clock.now());

    // Present but empty is a value: it replaces.
    await report(r, { systemDetails: "", llmUrl: "" });
    expect(await statusOf(r.runnerId)).toMatchObject({
      version: "1.0.1",
      systemDetails: "",
      llmUrl: "",
      region: "us-east-1",
    });
    // A new capability list replaces the old one.
    await report(r, { capabilities: [RunnerCapability.WARM_POOL, RunnerCapability.REDIS_STREAM] });
    expect((await statusOf(r.runnerId)).capabilities).toEqual([
      RunnerCapability.WARM_POOL,
      RunnerCapability.REDIS_STREAM,
    ]);
  });

  it("merges additional_info: sets, changes, and removes a key sent without a value", async () => {
    const r = await newRunner();
    const info = async () =>
      Object.fromEntries((await statusOf(r.runnerId)).additionalInfo.map(({ key, value }) => [key, value]));
    await report(r, {
      additionalInfo: [
        { key: "stack", value: "s-1" },
        { key: "console", value: "https://console.example/1" },
      ],
    });
    expect(await info()).toEqual({ stack: "s-1", console: "https://console.example/1" });
    await report(r, {
      additionalInfo: [{ key: "stack", value: "s-2" }, { key: "zone", value: "b" }, { key: "console" }],
    });
    expect(await info()).toEqual({ stack: "s-2", zone: "b" });
    // A report without additional_info leaves it alone.
    await report(r, { version: "x" });
    expect(await info()).toEqual({ stack: "s-2", zone: "b" });
    // An empty value is a value, not a removal.
    await report(r, { additionalInfo: [{ key: "zone", value: "" }] });
    expect(await info()).toEqual({ stack: "s-2", zone: "" });
    // Removing a key that is not there is fine.
    await report(r, { additionalInfo: [{ key: "never-set" }] });
    expect(await info()).toEqual({ stack: "s-2", zone: "" });
  });
});

describe("liveness", () => {
  it("is CREATED until the runner first reports, then ACTIVE with updated_at the renewal", async () => {
    const r = await newRunner();
    const first = await statusOf(r.runnerId);
    expect(first.phase).toBe(RunnerPhase.CREATED);
    expect(first.updatedAt).toBeUndefined();
    await r.clients.interaction.markRunnerActive({ runnerId: r.runnerId });
    const active = await statusOf(r.runnerId);
    expect(active.phase).toBe(RunnerPhase.ACTIVE);
    expect(active.updatedAt && timestampDate(active.updatedAt)).toEqual(clock.now());
  });

  it("stays ACTIVE for 89 s without a renewal and is INACTIVE from 90 s; a renewal makes it ACTIVE again", async () => {
    const r = await newRunner();
    await report(r, { version: "1" });
    const renewedAt = clock.now();
    clock.advance(seconds(89));
    expect(await phaseOf(r.runnerId)).toBe(RunnerPhase.ACTIVE);
    clock.advance(seconds(1));
    expect(await phaseOf(r.runnerId)).toBe(RunnerPhase.INACTIVE);
    clock.advance(seconds(1));
    const inactive = await statusOf(r.runnerId);
    expect(inactive.phase).toBe(RunnerPhase.INACTIVE);
    // updated_at is still the last renewal, not the time of the read.
    expect(inactive.updatedAt && timestampDate(inactive.updatedAt)).toEqual(renewedAt);
    await r.clients.interaction.markRunnerActive({ runnerId: r.runnerId });
    const back = await statusOf(r.runnerId);
    expect(back.phase).toBe(RunnerPhase.ACTIVE);
    expect(back.updatedAt && timestampDate(back.updatedAt)).toEqual(clock.now());
  });

  it("updated_at is the last renewal, by either call", async () => {
    const r = await newRunner();
    await report(r, { version: "1" });
    const t0 = clock.now();
    clock.advance(seconds(10));
    // Reads renew nothing.
    await r.clients.runners.getRunner({ runnerId: r.runnerId });
    let status = await statusOf(r.runnerId);
    expect(status.updatedAt && timestampDate(status.updatedAt)).toEqual(t0);
    await r.clients.interaction.markRunnerActive({ runnerId: r.runnerId });
    const t1 = clock.now();
    clock.advance(seconds(10));
    status = await statusOf(r.runnerId);
    expect(status.updatedAt && timestampDate(status.updatedAt)).toEqual(t1);
    await report(r, {});
    status = await statusOf(r.runnerId);
    expect(status.updatedAt && timestampDate(status.updatedAt)).toEqual(clock.now());
  });

  it("is DEGRADED while the degradation message is non-empty, ACTIVE again once it is cleared", async () => {
    const r = await newRunner();
    await report(r, { version: "1", degredationMessage: "disk 95% full" });
    expect(await statusOf(r.runnerId)).toMatchObject({ phase: RunnerPhase.DEGRADED, message: "disk 95% full" });
    // A renewal that does not mention it leaves it standing.
    clock.advance(seconds(30));
    await report(r, { version: "2" });
    expect(await statusOf(r.runnerId)).toMatchObject({ phase: RunnerPhase.DEGRADED, message: "disk 95% full" });
    await report(r, { degredationMessage: "" });
    expect(await statusOf(r.runnerId)).toMatchObject({ phase: RunnerPhase.ACTIVE, message: "" });
    // Silence beats degradation: a degraded runner that stops reporting is INACTIVE.
    await report(r, { degredationMessage: "gateway unreachable" });
    clock.advance(seconds(91));
    expect(await phaseOf(r.runnerId)).toBe(RunnerPhase.INACTIVE);
  });

  it("is DELETING while a delete waits for the runner, whatever it reports", async () => {
    const r = await newRunner();
    await report(r, { version: "1" });
    await admin.runners.deleteRunner({ runnerId: r.runnerId });
    expect(await phaseOf(r.runnerId)).toBe(RunnerPhase.DELETING);
    await report(r, { version: "2" });
    await r.clients.interaction.markRunnerActive({ runnerId: r.runnerId });
    expect(await phaseOf(r.runnerId)).toBe(RunnerPhase.DELETING);
    await report(r, { degredationMessage: "shutting down" });
    expect(await phaseOf(r.runnerId)).toBe(RunnerPhase.DELETING);
    clock.advance(seconds(91));
    expect(await phaseOf(r.runnerId)).toBe(RunnerPhase.DELETING);
    // The runner acknowledges: gone.
    await r.clients.runners.deleteRunner({ runnerId: r.runnerId });
    expect((await callError(admin.runners.getRunner({ runnerId: r.runnerId }))).code).toBe(Code.NotFound);
  });

  it("ListRunners shows the same phases as GetRunner", async () => {
    const phases = await seedOrganization(server.sql, "Phases Ltd");
    const create = (name: string) => createTestRunner(server.baseUrl, phases.admin.token, { name });
    const inactive = await create("inactive");
    await report(inactive, { version: "1" });
    clock.advance(seconds(91));
    const created = await create("created");
    const active = await create("active");
    await report(active, { version: "1" });
    const degraded = await create("degraded");
    await report(degraded, { degredationMessage: "slow disk" });
    const deleting = await create("deleting");
    await report(deleting, { version: "1" });
    const phasesAdmin = clientsFor(server.baseUrl, phases.admin.token);
    await phasesAdmin.runners.deleteRunner({ runnerId: deleting.runnerId });

    const { runners } = await phasesAdmin.runners.listRunners({});
    const listed = Object.fromEntries(runners.map((x) => [x.runnerId, x.status?.phase]));
    expect(listed).toEqual({
      [inactive.runnerId]: RunnerPhase.INACTIVE,
      [created.runnerId]: RunnerPhase.CREATED,
      [active.runnerId]: RunnerPhase.ACTIVE,
      [degraded.runnerId]: RunnerPhase.DEGRADED,
      [deleting.runnerId]: RunnerPhase.DELETING,
    });
    for (const x of runners) {
      const { runner } = await phasesAdmin.runners.getRunner({ runnerId: x.runnerId });
      expect(runner?.status).toEqual(x.status);
    }
  });
});

describe("what liveness decides", () => {
  it("ListEnvironmentClasses(can_create_environments) lists a runner's classes exactly while GetRunner says ACTIVE", async () => {
    const r = await newRunner("class runner");
    const { id: classId } = await admin.configuration.createEnvironmentClass({
      runnerId: r.runnerId,
      displayName: "Standard",
      description: "4 cores",
      configuration: [
        { key: "cpu", value: "4" },
        { key: "memory", value: "8192" },
      ],
    });
    const usable = async () => {
      const { environmentClasses } = await admin.configuration.listEnvironmentClasses({
        filter: { runnerIds: [r.runnerId], canCreateEnvironments: true },
      });
      return environmentClasses.map((c) => c.id);
    };
    /** Both views agree: listed exactly when the runner is ACTIVE. */
    const expectUsable = async (phase: RunnerPhase) => {
      expect(await phaseOf(r.runnerId)).toBe(phase);
      expect(await usable()).toEqual(phase === RunnerPhase.ACTIVE ? [classId] : []);
    };

    await expectUsable(RunnerPhase.CREATED);
    await r.clients.interaction.markRunnerActive({ runnerId: r.runnerId });
    await expectUsable(RunnerPhase.ACTIVE);
    await report(r, { degredationMessage: "no capacity" });
    await expectUsable(RunnerPhase.DEGRADED);
    await report(r, { degredationMessage: "" });
    await expectUsable(RunnerPhase.ACTIVE);
    clock.advance(seconds(89));
    await expectUsable(RunnerPhase.ACTIVE);
    clock.advance(seconds(1));
    await expectUsable(RunnerPhase.INACTIVE);
    await report(r, {});
    await expectUsable(RunnerPhase.ACTIVE);
    await admin.runners.deleteRunner({ runnerId: r.runnerId });
    await expectUsable(RunnerPhase.DELETING);
  });

  it("ParseContextURL without runner_id picks a runner only while it is ACTIVE", async () => {
    const r = await newRunner("picked runner");
    const host = "git.liveness.example";
    await admin.configuration.createSCMIntegration({ runnerId: r.runnerId, scmId: "github", host, pat: true });
    // Picked → asked → not connected: unavailable. Not picked: failed_precondition.
    const outcome = async () =>
      (await callError(member.runners.parseContextURL({ contextUrl: `https://${host}/team/repo` }))).code;

    expect(await outcome()).toBe(Code.FailedPrecondition);
    await report(r, { version: "1" });
    expect(await outcome()).toBe(Code.Unavailable);
    clock.advance(seconds(89));
    expect(await outcome()).toBe(Code.Unavailable);
    clock.advance(seconds(1));
    expect(await phaseOf(r.runnerId)).toBe(RunnerPhase.INACTIVE);
    expect(await outcome()).toBe(Code.FailedPrecondition);
    await r.clients.interaction.markRunnerActive({ runnerId: r.runnerId });
    expect(await outcome()).toBe(Code.Unavailable);
  });
});

describe("a fleet's heartbeats", () => {
  it("share their statements: each heartbeat's token lookup waits for the others, and their writes go together", async () => {
    const fleet = await startCountingServer();
    try {
      const seeded = await seedOrganization(fleet.sql, "Fleet Inc");
      const runners = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          createTestRunner(fleet.baseUrl, seeded.admin.token, { name: `fleet ${i}` }),
        ),
      );
      const before = fleet.statements();
      // A few milliseconds apart, as a fleet's heartbeats come: each in a turn of its own.
      const answers = [];
      for (const [i, r] of runners.entries()) {
        answers.push(report(r, { version: `1.0.${i}` }));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      await Promise.all(answers);
      // Each its own lookup and write: 8. Within one linger: 2 (a slow machine may split them once).
      expect(fleet.statements() - before).toBeLessThanOrEqual(4);
      const versions = await Promise.all(runners.map(async (r) => (await statusOf(r.runnerId, r.clients)).version));
      expect(versions).toEqual(runners.map((_, i) => `1.0.${i}`));
    } finally {
      await fleet.close();
    }
  });
});
