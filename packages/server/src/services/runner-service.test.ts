/**
 * RunnerService over the real server and Postgres (behaviour.md §4, §7): runners, their
 * tokens, deletion, and the registration calls a runner makes. Policies have their own file;
 * who may call what is the access matrix (auth/access-matrix.test.ts).
 */
import { Code } from "@connectrpc/connect";
import { RunnerKind, RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { LogLevel, RunnerPhase, RunnerReleaseChannel } from "@runnerplane/api/gitpod/v1/runner_pb";
import sodium from "libsodium-wrappers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../logging/index.js";
import { type Clients, clientsFor } from "../testing/access-matrix.js";
import {
  callError,
  type ManualClock,
  manualClock,
  type SeededOrganization,
  seedMember,
  seedOrganization,
  startCountingServer,
  startTestServer,
  type TestServer,
} from "../testing/index.js";
import { sweepExpiredRunnerDeletions } from "./runner-deletion-sweeper.js";

let server: TestServer;
let clock: ManualClock;
let org: SeededOrganization;
let admin: Clients;
let member: Clients;

beforeAll(async () => {
  clock = manualClock(new Date("2026-03-01T09:00:00Z"));
  server = await startTestServer({ clock });
  org = await seedOrganization(server.sql, "Runners Inc");
  admin = clientsFor(server.baseUrl, org.admin.token);
  member = clientsFor(server.baseUrl, org.member.token);
});
afterAll(() => server.close());

const unknownId = "0b9b1f6e-3c1a-4c77-9e55-2f6a1d0c9e01";

async function newRunner(clients = admin, init: Parameters<Clients["runners"]["createRunner"]>[0] = {}) {
  const res = await clients.runners.createRunner({ name: "a runner", provider: RunnerProvider.AWS_EC2, ...init });
  return { id: res.runner?.runnerId as string, res };
}

/** A runner that signed up with a public key, as a runner would: ExchangeToken, then Signup. */
async function signedUpRunner() {
  const { id, res } = await newRunner();
  const { accessToken } = await admin.identity.exchangeToken({ exchangeToken: res.exchangeToken });
  const self = clientsFor(server.baseUrl, accessToken);
  await self.interaction.signup({ publicKey: new Uint8Array(32).fill(7) });
  return { id, self, accessToken };
}

describe("CreateRunner", () => {
  it("creates a runner with defaults, the caller as creator, phase CREATED and tokens", async () => {
    const { id, res } = await newRunner(admin, { name: "Production Runner" });
    const runner = res.runner;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(runner).toMatchObject({
      name: "Production Runner",
      kind: RunnerKind.REMOTE,
      provider: RunnerProvider.AWS_EC2,
      creator: { id: org.admin.member.id },
      spec: {
        desiredPhase: RunnerPhase.ACTIVE,
        configuration: { releaseChannel: RunnerReleaseChannel.STABLE, logLevel: LogLevel.INFO },
      },
      status: { phase: RunnerPhase.CREATED },
    });
    expect(runner?.createdAt?.seconds).toBe(BigInt(clock.now().getTime() / 1000));
    expect(runner?.updatedAt).toEqual(runner?.createdAt);
    expect(res.exchangeToken).toMatch(/^rp_exchange_/);
    expect(res.accessToken).toMatch(/^rp_runner_/);
  });

  it("keeps the settings it is given", async () => {
    const { res } = await newRunner(admin, {
      provider: RunnerProvider.GCP,
      spec: {
        desiredPhase: RunnerPhase.INACTIVE,
        configuration: {
          region: "europe-west1",
          releaseChannel: RunnerReleaseChannel.LATEST,
          autoUpdate: true,
          logLevel: LogLevel.DEBUG,
          updateWindow: { startHour: 22 },
          metrics: { enabled: true, url: "https://metrics.example/push", username: "m" },
        },
      },
    });
    expect(res.runner?.spec).toMatchObject({
      desiredPhase: RunnerPhase.INACTIVE,
      configuration: {
        region: "europe-west1",
        releaseChannel: RunnerReleaseChannel.LATEST,
        autoUpdate: true,
        logLevel: LogLevel.DEBUG,
        updateWindow: { startHour: 22, endHour: 0 },
        metrics: { enabled: true, url: "https://metrics.example/push", username: "m" },
      },
    });
  });

  it.each([
    ["LINUX_HOST", RunnerProvider.LINUX_HOST, RunnerKind.LOCAL],
    ["DESKTOP_MAC", RunnerProvider.DESKTOP_MAC, RunnerKind.LOCAL],
    ["DEV_AGENT", RunnerProvider.DEV_AGENT, RunnerKind.LOCAL],
    ["GCP", RunnerProvider.GCP, RunnerKind.REMOTE],
  ])("deduces the kind from provider %s", async (_name, provider, kind) => {
    const { res } = await newRunner(admin, { provider });
    expect(res.runner?.kind).toBe(kind);
  });

  it("accepts a kind without provider, for older clients", async () => {
    const { res } = await newRunner(admin, { provider: RunnerProvider.UNSPECIFIED, kind: RunnerKind.REMOTE });
    expect(res.runner).toMatchObject({ kind: RunnerKind.REMOTE, provider: RunnerProvider.UNSPECIFIED });
  });

  it("requires runner_manager_id for MANAGED runners and keeps it", async () => {
    const managerId = "5a8a3c7e-1f0b-4d8e-9c6a-2b7d4e1f0a9c";
    const { res } = await newRunner(admin, { provider: RunnerProvider.MANAGED, runnerManagerId: managerId });
    expect(res.runner?.runnerManagerId).toBe(managerId);
  });

  it.each([
    ["neither kind nor provider", { provider: RunnerProvider.UNSPECIFIED }, "kind and provider"],
    ["both kind and provider", { kind: RunnerKind.REMOTE }, "kind and provider"],
    ["MANAGED without manager", { provider: RunnerProvider.MANAGED }, "runner_manager_id"],
    [
      "a manager for another provider",
      { runnerManagerId: "5a8a3c7e-1f0b-4d8e-9c6a-2b7d4e1f0a9c" },
      "runner_manager_id",
    ],
    ["a malformed manager id", { provider: RunnerProvider.MANAGED, runnerManagerId: "m-1" }, "runner_manager_id"],
    ["a name of 2 characters", { name: "ab" }, "name"],
    ["a name of 128 characters", { name: "x".repeat(128) }, "name"],
    ["an undefined kind number", { provider: RunnerProvider.UNSPECIFIED, kind: 42 as RunnerKind }, "kind"],
    ["desired phase DELETED", { spec: { desiredPhase: RunnerPhase.DELETED } }, "spec.desired_phase"],
    ["an update window without start", { spec: { configuration: { updateWindow: { endHour: 3 } } } }, "start_hour"],
    [
      "an update window of 1 hour",
      { spec: { configuration: { updateWindow: { startHour: 23, endHour: 0 } } } },
      "2 hours",
    ],
    [
      "an update window ending at its start",
      { spec: { configuration: { updateWindow: { startHour: 5, endHour: 5 } } } },
      "2 hours",
    ],
    ["an hour of 24", { spec: { configuration: { updateWindow: { startHour: 24 } } } }, "start_hour"],
  ] as [string, Parameters<Clients["runners"]["createRunner"]>[0], string][])(
    "rejects %s with invalid_argument naming the field",
    async (_name, init, field) => {
      const error = await callError(newRunner(admin, init));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toContain(field);
    },
  );

  it("accepts an overnight update window", async () => {
    const { res } = await newRunner(admin, {
      spec: { configuration: { updateWindow: { startHour: 22, endHour: 4 } } },
    });
    expect(res.runner?.spec?.configuration?.updateWindow).toMatchObject({ startHour: 22, endHour: 4 });
  });

  it("allows one LOCAL_CONFIGURATION runner per organization", async () => {
    const other = await seedOrganization(server.sql, "Config Co");
    const otherAdmin = clientsFor(server.baseUrl, other.admin.token);
    await newRunner(otherAdmin, { provider: RunnerProvider.UNSPECIFIED, kind: RunnerKind.LOCAL_CONFIGURATION });
    const error = await callError(
      newRunner(otherAdmin, { provider: RunnerProvider.UNSPECIFIED, kind: RunnerKind.LOCAL_CONFIGURATION }),
    );
    expect(error.code).toBe(Code.AlreadyExists);
    expect(error.rawMessage).toBe("the organization already has a LOCAL_CONFIGURATION runner");
    // Another organization may still have its own.
    const third = await seedOrganization(server.sql, "Config Two");
    await newRunner(clientsFor(server.baseUrl, third.admin.token), {
      provider: RunnerProvider.UNSPECIFIED,
      kind: RunnerKind.LOCAL_CONFIGURATION,
    });
  });

  it("lets members create user runners but not organization runners", async () => {
    const { res } = await newRunner(member, { provider: RunnerProvider.LINUX_HOST });
    expect(res.runner?.creator?.id).toBe(org.member.member.id);
    const error = await callError(newRunner(member, { provider: RunnerProvider.AWS_EC2 }));
    expect(error.code).toBe(Code.PermissionDenied);
  });

  it("does not let a runner create runners", async () => {
    const { self } = await signedUpRunner();
    const error = await callError(newRunner(self, { provider: RunnerProvider.LINUX_HOST }));
    expect(error.code).toBe(Code.PermissionDenied);
  });

  it("answers in the documented JSON shape over plain HTTP", async () => {
    const res = await fetch(`${server.baseUrl}/api/gitpod.v1.RunnerService/CreateRunner`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${org.admin.token}` },
      body: JSON.stringify({
        name: "Local Development Runner",
        provider: "RUNNER_PROVIDER_LINUX_HOST",
        spec: {
          desiredPhase: "RUNNER_PHASE_ACTIVE",
          configuration: { releaseChannel: "RUNNER_RELEASE_CHANNEL_LATEST", autoUpdate: true },
        },
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["accessToken", "exchangeToken", "runner"]);
    expect(body.runner).toMatchObject({
      name: "Local Development Runner",
      kind: "RUNNER_KIND_LOCAL",
      provider: "RUNNER_PROVIDER_LINUX_HOST",
      creator: { id: org.admin.member.id, principal: "PRINCIPAL_USER" },
      spec: {
        desiredPhase: "RUNNER_PHASE_ACTIVE",
        configuration: {
          releaseChannel: "RUNNER_RELEASE_CHANNEL_LATEST",
          autoUpdate: true,
          logLevel: "LOG_LEVEL_INFO",
        },
      },
      status: { phase: "RUNNER_PHASE_CREATED" },
    });
    expect(Date.parse((body.runner as { createdAt: string }).createdAt)).toBe(clock.now().getTime());
  });
});

describe("GetRunner", () => {
  it("returns the stored runner", async () => {
    const { id, res } = await newRunner(admin, { name: "fetch me" });
    expect((await admin.runners.getRunner({ runnerId: id })).runner).toEqual(res.runner);
  });

  it("answers not_found for an unknown runner", async () => {
    expect((await callError(admin.runners.getRunner({ runnerId: unknownId }))).code).toBe(Code.NotFound);
  });
});

describe("UpdateRunner", () => {
  it("changes only the fields present and answers {}", async () => {
    const { id } = await newRunner(admin, {
      name: "before",
      spec: { configuration: { region: "r1", autoUpdate: true, metrics: { enabled: true, url: "https://m" } } },
    });
    clock.advance(1000);
    const res = await fetch(`${server.baseUrl}/api/gitpod.v1.RunnerService/UpdateRunner`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${org.admin.token}` },
      body: JSON.stringify({
        runnerId: id,
        spec: { configuration: { logLevel: "LOG_LEVEL_WARN", metrics: { username: "u" } } },
      }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    const runner = (await admin.runners.getRunner({ runnerId: id })).runner;
    expect(runner).toMatchObject({
      name: "before",
      spec: {
        configuration: {
          region: "r1",
          autoUpdate: true,
          logLevel: LogLevel.WARN,
          metrics: { enabled: true, url: "https://m", username: "u" },
        },
      },
    });
    expect(runner?.updatedAt?.seconds).toBe(BigInt(clock.now().getTime() / 1000));
  });

  it("keeps both of two concurrent updates of different fields", async () => {
    const { id } = await newRunner(admin);
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2 === 0
          ? admin.runners.updateRunner({ runnerId: id, name: "renamed runner" })
          : admin.runners.updateRunner({ runnerId: id, spec: { configuration: { autoUpdate: true } } }),
      ),
    );
    const runner = (await admin.runners.getRunner({ runnerId: id })).runner;
    expect(runner?.name).toBe("renamed runner");
    expect(runner?.spec?.configuration?.autoUpdate).toBe(true);
  });

  it("replaces the update window, defaulting its end", async () => {
    const { id } = await newRunner(admin, { spec: { configuration: { updateWindow: { startHour: 1, endHour: 6 } } } });
    await admin.runners.updateRunner({ runnerId: id, spec: { configuration: { updateWindow: { startHour: 10 } } } });
    const runner = (await admin.runners.getRunner({ runnerId: id })).runner;
    expect(runner?.spec?.configuration?.updateWindow).toMatchObject({ startHour: 10, endHour: 12 });
  });

  it("switches the desired phase of a LOCAL_CONFIGURATION runner between ACTIVE and INACTIVE only", async () => {
    const other = await seedOrganization(server.sql, "Phase Co");
    const otherAdmin = clientsFor(server.baseUrl, other.admin.token);
    const { id } = await newRunner(otherAdmin, {
      provider: RunnerProvider.UNSPECIFIED,
      kind: RunnerKind.LOCAL_CONFIGURATION,
    });
    await otherAdmin.runners.updateRunner({ runnerId: id, spec: { desiredPhase: RunnerPhase.INACTIVE } });
    expect((await otherAdmin.runners.getRunner({ runnerId: id })).runner?.spec?.desiredPhase).toBe(
      RunnerPhase.INACTIVE,
    );
    const error = await callError(
      otherAdmin.runners.updateRunner({ runnerId: id, spec: { desiredPhase: RunnerPhase.DELETED } }),
    );
    expect(error.code).toBe(Code.FailedPrecondition);
  });

  it("refuses desired-phase changes on other runners with failed_precondition", async () => {
    const { id } = await newRunner(admin);
    const error = await callError(
      admin.runners.updateRunner({ runnerId: id, spec: { desiredPhase: RunnerPhase.INACTIVE } }),
    );
    expect(error.code).toBe(Code.FailedPrecondition);
  });

  it.each([
    ["a short name", { name: "ab" }, "name"],
    [
      "an update window of one hour",
      { spec: { configuration: { updateWindow: { startHour: 3, endHour: 4 } } } },
      "2 hours",
    ],
  ] as const)("rejects %s", async (_name, change, field) => {
    const { id } = await newRunner(admin);
    const error = await callError(admin.runners.updateRunner({ runnerId: id, ...change }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain(field);
  });

  it("answers not_found for an unknown runner", async () => {
    expect((await callError(admin.runners.updateRunner({ runnerId: unknownId, name: "new name" }))).code).toBe(
      Code.NotFound,
    );
  });
});

describe("UpdateRunner with a Honeycomb API key", () => {
  it("stores the key sealed for the runner: its private key opens it, no other key does", async () => {
    await sodium.ready;
    const keys = sodium.crypto_box_keypair();
    const { id, res } = await newRunner(admin);
    const { accessToken } = await admin.identity.exchangeToken({ exchangeToken: res.exchangeToken });
    await clientsFor(server.baseUrl, accessToken).interaction.signup({ publicKey: keys.publicKey });

    await admin.runners.updateRunner({ runnerId: id, spec: { configuration: { honeycombApiKey: "hc-secret-123" } } });
    const sealed = (await admin.runners.getRunner({ runnerId: id })).runner?.spec?.configuration
      ?.encryptedHoneycombApiKey;
    expect(sealed?.length).toBeGreaterThan(0);
    const opened = sodium.crypto_box_seal_open(sealed as Uint8Array, keys.publicKey, keys.privateKey);
    expect(new TextDecoder().decode(opened)).toBe("hc-secret-123");
    const other = sodium.crypto_box_keypair();
    expect(() => sodium.crypto_box_seal_open(sealed as Uint8Array, other.publicKey, other.privateKey)).toThrow();
    // The plaintext is nowhere in the database.
    const [row] = await server.sql`select * from runners where id = ${id}`;
    expect(
      JSON.stringify(row, (_k, v) => (v?.type === "Buffer" ? Buffer.from(v.data).toString("latin1") : v)),
    ).not.toContain("hc-secret-123");

    await admin.runners.updateRunner({ runnerId: id, spec: { configuration: { honeycombApiKey: "" } } });
    const cleared = (await admin.runners.getRunner({ runnerId: id })).runner?.spec?.configuration;
    expect(cleared?.encryptedHoneycombApiKey).toHaveLength(0);
  });

  it("refuses with failed_precondition while the runner has no public key", async () => {
    const { id } = await newRunner(admin);
    const error = await callError(
      admin.runners.updateRunner({ runnerId: id, spec: { configuration: { honeycombApiKey: "hc" } } }),
    );
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).not.toContain("hc");
  });
});

describe("DeleteRunner", () => {
  it("removes a runner that never signed up at once, with its tokens", async () => {
    const { id, res } = await newRunner(admin);
    expect(await admin.runners.deleteRunner({ runnerId: id })).toEqual(expect.objectContaining({}));
    expect((await callError(admin.runners.getRunner({ runnerId: id }))).code).toBe(Code.NotFound);
    expect(await server.sql`select 1 from tokens where subject_id = ${id}`).toHaveLength(0);
    // Its exchange token died with it.
    expect((await callError(admin.identity.exchangeToken({ exchangeToken: res.exchangeToken }))).code).toBe(
      Code.Unauthenticated,
    );
  });

  it("marks a signed-up runner DELETING until the runner acknowledges by deleting itself", async () => {
    const { id, self, accessToken } = await signedUpRunner();
    await admin.runners.deleteRunner({ runnerId: id });
    const runner = (await admin.runners.getRunner({ runnerId: id })).runner;
    expect(runner?.status?.phase).toBe(RunnerPhase.DELETING);
    expect(runner?.spec?.desiredPhase).toBe(RunnerPhase.DELETED);
    // The runner sees it is asked to go, and acknowledges.
    expect((await self.runners.getRunner({ runnerId: id })).runner?.spec?.desiredPhase).toBe(RunnerPhase.DELETED);
    await self.runners.deleteRunner({ runnerId: id });
    expect((await callError(admin.runners.getRunner({ runnerId: id }))).code).toBe(Code.NotFound);
    // Its own token is gone too.
    const after = await fetch(`${server.baseUrl}/gitpod.v1.IdentityService/GetAuthenticatedIdentity`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${accessToken}` },
      body: "{}",
    });
    expect(after.status).toBe(401);
  });

  it("removes a signed-up runner at once with force", async () => {
    const { id } = await signedUpRunner();
    await admin.runners.deleteRunner({ runnerId: id, force: true });
    expect((await callError(admin.runners.getRunner({ runnerId: id }))).code).toBe(Code.NotFound);
  });

  it("removes a runner that does not acknowledge once the grace period has passed", async () => {
    const { id } = await signedUpRunner();
    await admin.runners.deleteRunner({ runnerId: id });
    const sweep = () => sweepExpiredRunnerDeletions({ sql: server.sql, clock, log: silentLogger, graceMs: 300_000 });
    clock.advance(299_999);
    expect(await sweep()).not.toContain(id);
    expect((await admin.runners.getRunner({ runnerId: id })).runner?.status?.phase).toBe(RunnerPhase.DELETING);
    clock.advance(1);
    expect(await sweep()).toContain(id);
    expect((await callError(admin.runners.getRunner({ runnerId: id }))).code).toBe(Code.NotFound);
  });

  it("answers not_found for every call naming a removed runner, and for deleting it again", async () => {
    const { id } = await newRunner(admin);
    await admin.runners.deleteRunner({ runnerId: id });
    for (const call of [
      () => admin.runners.getRunner({ runnerId: id }),
      () => admin.runners.updateRunner({ runnerId: id, name: "ghost" }),
      () => admin.runners.deleteRunner({ runnerId: id }),
      () => admin.runners.createRunnerToken({ runnerId: id }),
      () => admin.runners.createRunnerLogsToken({ runnerId: id }),
      () => admin.runners.listRunnerPolicies({ runnerId: id }),
    ]) {
      expect((await callError(call())).code).toBe(Code.NotFound);
    }
    const listed = await admin.runners.listRunners({ pagination: { pageSize: 100 } });
    expect(listed.runners.map((r) => r.runnerId)).not.toContain(id);
  });
});

describe("runner tokens", () => {
  it("ExchangeToken trades an exchange token once for a runner access token", async () => {
    const { id, res } = await newRunner(admin);
    const { accessToken } = await admin.identity.exchangeToken({ exchangeToken: res.exchangeToken });
    expect(accessToken).toMatch(/^rp_runner_/);
    const who = await clientsFor(server.baseUrl, accessToken).identity.getAuthenticatedIdentity({});
    expect(who.subject).toMatchObject({ id, principal: 3 /* PRINCIPAL_RUNNER */ });
    const again = await callError(admin.identity.exchangeToken({ exchangeToken: res.exchangeToken }));
    expect(again.code).toBe(Code.Unauthenticated);
  });

  it("refuses an exchange token after 24 hours", async () => {
    const { res } = await newRunner(admin);
    clock.advance(24 * 60 * 60_000);
    expect((await callError(admin.identity.exchangeToken({ exchangeToken: res.exchangeToken }))).code).toBe(
      Code.Unauthenticated,
    );
  });

  it("CreateRunnerToken issues new tokens without expiring earlier ones", async () => {
    const { id, res } = await newRunner(admin);
    const fresh = await admin.runners.createRunnerToken({ runnerId: id });
    expect(fresh.exchangeToken).toMatch(/^rp_exchange_/);
    expect(fresh.exchangeToken).not.toBe(res.exchangeToken);
    await admin.identity.exchangeToken({ exchangeToken: res.exchangeToken });
    await admin.identity.exchangeToken({ exchangeToken: fresh.exchangeToken });
  });

  it("CreateRunnerLogsToken returns a one-hour token that opens no API method", async () => {
    const { id } = await newRunner(admin);
    const { accessToken } = await admin.runners.createRunnerLogsToken({ runnerId: id });
    expect(accessToken).toMatch(/^rp_logs_/);
    const [row] =
      await server.sql`select expires_at, subject_id from tokens where kind = 'runner_logs' and subject_id = ${id}`;
    expect(row?.expires_at.getTime()).toBe(clock.now().getTime() + 60 * 60_000);
    const error = await callError(clientsFor(server.baseUrl, accessToken).runners.getRunner({ runnerId: id }));
    expect(error.code).toBe(Code.Unauthenticated);
  });
});

describe("Signup and MarkRunnerActive", () => {
  it("stores the runner's public key and reports it in the runner's status", async () => {
    const { id } = await signedUpRunner();
    const runner = (await admin.runners.getRunner({ runnerId: id })).runner;
    expect(runner?.status?.publicKey).toEqual(new Uint8Array(32).fill(7));
  });

  it("rejects a public key that is not 32 bytes", async () => {
    const { res } = await newRunner(admin);
    const { accessToken } = await admin.identity.exchangeToken({ exchangeToken: res.exchangeToken });
    const error = await callError(
      clientsFor(server.baseUrl, accessToken).interaction.signup({ publicKey: new Uint8Array(31) }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("public_key: value length must be 32 bytes");
  });

  it("MarkRunnerActive makes the runner ACTIVE and records when", async () => {
    const { id, self } = await signedUpRunner();
    clock.advance(5000);
    await self.interaction.markRunnerActive({ runnerId: id });
    const runner = (await admin.runners.getRunner({ runnerId: id })).runner;
    expect(runner?.status?.phase).toBe(RunnerPhase.ACTIVE);
    expect(runner?.status?.updatedAt?.seconds).toBe(BigInt(clock.now().getTime() / 1000));
  });

  it("lets a runner mark only itself active", async () => {
    const a = await signedUpRunner();
    const b = await signedUpRunner();
    expect((await callError(a.self.interaction.markRunnerActive({ runnerId: b.id }))).code).toBe(Code.NotFound);
    expect((await callError(admin.interaction.markRunnerActive({ runnerId: a.id }))).code).toBe(Code.PermissionDenied);
  });
});

describe("ListRunners", () => {
  let lister: Clients;
  let listOrg: SeededOrganization;
  const ids: { remote: string[]; local: string[]; memberLocal: string[] } = { remote: [], local: [], memberLocal: [] };

  beforeAll(async () => {
    listOrg = await seedOrganization(server.sql, "Listing Ltd");
    lister = clientsFor(server.baseUrl, listOrg.admin.token);
    const memberClients = clientsFor(server.baseUrl, listOrg.member.token);
    for (let i = 0; i < 5; i++) {
      clock.advance(10);
      ids.remote.push(
        (
          await newRunner(lister, {
            name: `remote ${i}`,
            provider: i % 2 ? RunnerProvider.GCP : RunnerProvider.AWS_EC2,
          })
        ).id,
      );
      clock.advance(10);
      ids.local.push((await newRunner(lister, { name: `local ${i}`, provider: RunnerProvider.LINUX_HOST })).id);
    }
    clock.advance(10);
    ids.memberLocal.push(
      (await newRunner(memberClients, { name: "member laptop", provider: RunnerProvider.DESKTOP_MAC })).id,
    );
  });

  async function all(
    clients: Clients,
    filter: Parameters<Clients["runners"]["listRunners"]>[0]["filter"] = {},
    pageSize = 3,
  ) {
    const seen: string[] = [];
    let token = "";
    do {
      const page = await clients.runners.listRunners({ filter, pagination: { pageSize, token } });
      expect(page.runners.length).toBeLessThanOrEqual(pageSize);
      seen.push(...page.runners.map((r) => r.runnerId));
      token = page.pagination?.nextToken ?? "";
    } while (token);
    return seen;
  }

  it("lists the org's runners oldest first, across pages, each once", async () => {
    const expected = [...ids.remote.flatMap((r, i) => [r, ids.local[i] as string]), ...ids.memberLocal];
    expect(await all(lister)).toEqual(expected);
  });

  it("defaults to pages of 25", async () => {
    const many = await seedOrganization(server.sql, "Many Runners");
    const c = clientsFor(server.baseUrl, many.admin.token);
    for (let i = 0; i < 27; i++) await newRunner(c, { name: `runner ${i}` });
    const first = await c.runners.listRunners({});
    expect(first.runners).toHaveLength(25);
    const second = await c.runners.listRunners({ pagination: { token: first.pagination?.nextToken ?? "" } });
    expect(second.runners).toHaveLength(2);
    expect(second.pagination?.nextToken).toBe("");
  });

  it("shows members the org runners and their own user runners only", async () => {
    const seen = await all(clientsFor(server.baseUrl, listOrg.member.token));
    expect(seen.sort()).toEqual([...ids.remote, ...ids.memberLocal].sort());
  });

  it("filters by kind, provider and creator (OR within a filter, AND across)", async () => {
    expect((await all(lister, { kinds: [RunnerKind.LOCAL] })).sort()).toEqual(
      [...ids.local, ...ids.memberLocal].sort(),
    );
    expect(await all(lister, { providers: [RunnerProvider.GCP] })).toEqual([ids.remote[1], ids.remote[3]]);
    expect((await all(lister, { providers: [RunnerProvider.GCP, RunnerProvider.DESKTOP_MAC] })).length).toBe(3);
    expect(await all(lister, { creatorIds: [listOrg.member.member.id] })).toEqual(ids.memberLocal);
    expect(
      await all(lister, {
        creatorIds: [listOrg.admin.member.id],
        kinds: [RunnerKind.REMOTE],
        providers: [RunnerProvider.AWS_EC2],
      }),
    ).toEqual([ids.remote[0], ids.remote[2], ids.remote[4]]);
  });

  it("neither repeats nor skips runners when others are inserted or deleted between pages", async () => {
    const org2 = await seedOrganization(server.sql, "Churn");
    const c = clientsFor(server.baseUrl, org2.admin.token);
    const made: string[] = [];
    for (let i = 0; i < 6; i++) {
      clock.advance(1);
      made.push((await newRunner(c, { name: `churn ${i}` })).id);
    }
    const first = await c.runners.listRunners({ pagination: { pageSize: 2 } });
    expect(first.runners.map((r) => r.runnerId)).toEqual(made.slice(0, 2));
    // Delete one already seen and one not yet seen; add a new one.
    await c.runners.deleteRunner({ runnerId: made[0] as string });
    await c.runners.deleteRunner({ runnerId: made[3] as string });
    clock.advance(1);
    const added = (await newRunner(c, { name: "late arrival" })).id;
    const rest: string[] = [];
    let token = first.pagination?.nextToken ?? "";
    while (token) {
      const page = await c.runners.listRunners({ pagination: { pageSize: 2, token } });
      rest.push(...page.runners.map((r) => r.runnerId));
      token = page.pagination?.nextToken ?? "";
    }
    expect(rest).toEqual([made[2], made[4], made[5], added]);
  });

  it("refuses a page token with another filter, or a tampered one", async () => {
    const first = await lister.runners.listRunners({ pagination: { pageSize: 2 } });
    const token = first.pagination?.nextToken ?? "";
    const other = await callError(
      lister.runners.listRunners({ filter: { kinds: [RunnerKind.LOCAL] }, pagination: { token } }),
    );
    expect(other.code).toBe(Code.InvalidArgument);
    const tampered = await callError(lister.runners.listRunners({ pagination: { token: `x${token}` } }));
    expect(tampered.code).toBe(Code.InvalidArgument);
    const malformed = await callError(lister.runners.listRunners({ pagination: { token: "not a token" } }));
    expect(malformed.code).toBe(Code.InvalidArgument);
  });

  it.each([
    ["more than 25 creator ids", { creatorIds: Array.from({ length: 26 }, () => unknownId) }],
    ["a malformed creator id", { creatorIds: ["someone"] }],
    ["an undefined kind", { kinds: [9 as RunnerKind] }],
  ] as [string, Parameters<Clients["runners"]["listRunners"]>[0]["filter"]][])(
    "rejects a filter with %s",
    async (_name, filter) => {
      expect((await callError(lister.runners.listRunners({ filter }))).code).toBe(Code.InvalidArgument);
    },
  );

  it("rejects a page size over 100", async () => {
    expect((await callError(lister.runners.listRunners({ pagination: { pageSize: 101 } }))).code).toBe(
      Code.InvalidArgument,
    );
  });

  it("pages exactly as a published HTTP client does: token and pageSize in the query string", async () => {
    const post = (query: string) =>
      fetch(`${server.baseUrl}/api/gitpod.v1.RunnerService/ListRunners${query}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${listOrg.admin.token}` },
        body: JSON.stringify({ filter: { kinds: ["RUNNER_KIND_REMOTE"] }, pagination: { pageSize: 2 } }),
      });
    const seen: string[] = [];
    let res = await post("");
    for (;;) {
      expect(res.status).toBe(200);
      const body = (await res.json()) as { runners?: { runnerId: string }[]; pagination?: { nextToken?: string } };
      seen.push(...(body.runners ?? []).map((r) => r.runnerId));
      const next = body.pagination?.nextToken;
      if (!next) break;
      res = await post(`?token=${encodeURIComponent(next)}&pageSize=2`);
    }
    expect(seen).toEqual(ids.remote);
  });

  it("shows a runner only itself", async () => {
    const { id, self } = await signedUpRunner();
    const listed = await self.runners.listRunners({});
    expect(listed.runners.map((r) => r.runnerId)).toEqual([id]);
  });

  it("lists a member's service account runners like any member's", async () => {
    const robot = await seedMember(server.sql, listOrg.organization.id, { name: "robot", kind: "service_account" });
    const c = clientsFor(server.baseUrl, robot.token);
    const { res } = await newRunner(c, { provider: RunnerProvider.DEV_AGENT });
    expect(res.runner?.creator?.principal).toBe(5 /* PRINCIPAL_SERVICE_ACCOUNT */);
    expect(await all(c, { kinds: [RunnerKind.LOCAL] })).toEqual([res.runner?.runnerId]);
  });
});

describe("GetRunner under load", () => {
  it("shares statements: calls that arrive together are authenticated by one lookup and authorized by one read", async () => {
    const busy = await startCountingServer();
    try {
      const seeded = await seedOrganization(busy.sql, "Busy Inc");
      const clients = clientsFor(busy.baseUrl, seeded.admin.token, { http2: true });
      const ids = await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const res = await clients.runners.createRunner({ name: `busy ${i}`, provider: RunnerProvider.AWS_EC2 });
          return res.runner?.runnerId as string;
        }),
      );
      await clients.runners.getRunner({ runnerId: ids[0] as string });
      const before = busy.statements();
      // Eight calls on one HTTP/2 connection: their frames reach the server together.
      const got = await Promise.all(ids.map((runnerId) => clients.runners.getRunner({ runnerId })));
      expect(got.map((r) => r.runner?.runnerId)).toEqual(ids);
      // Each its own lookup and read: 16. Together: 2 (a slow machine may split them once or twice).
      expect(busy.statements() - before).toBeLessThanOrEqual(6);
    } finally {
      await busy.close();
    }
  });
});
