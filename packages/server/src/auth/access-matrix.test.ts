/**
 * Who may call what, across two organizations, over the real server. One row per method
 * (and target): each issue that implements a method adds rows here, not code.
 *
 * Callers (testing/tenancy-fixture.ts): org A's admin, member, service account, members of
 * groups holding ADMIN and USER policies on A's org runner, the creator of A's user runner,
 * A's org runner itself (runner principal), and org B's admin and member.
 */
import { randomUUID } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { RunnerRole } from "@runnerplane/api/gitpod/v1/runner_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listGroups } from "../db/groups.js";
import { type AccessRow, clientsFor, everyone, type Outcome, outcomeOf } from "../testing/access-matrix.js";
import {
  type CallerName,
  createTenancyFixture,
  inProcessClients,
  seedGroup,
  startTestServer,
  type TenancyFixture,
  type TestServer,
} from "../testing/index.js";

let server: TestServer;
let fx: TenancyFixture;

const unknownRunner = "0b9b1f6e-3c1a-4c77-9e55-2f6a1d0c9e01";

// Expectations shared by many rows (behaviour.md §2, docs/identity.md).
/** Any runner user of A's org runner: every member of org A, and the runner itself when the method allows it. */
const orgRunnerUsers = (runnerItself: Outcome): Record<CallerName, Outcome> => ({
  ...everyone("ok"),
  "A org runner itself": runnerItself,
  "B admin": Code.NotFound,
  "B member": Code.NotFound,
});
/** Runner admins of A's org runner only: A's org admin and the "ops" group (ADMIN policy). */
const orgRunnerAdmins = (runnerItself: Outcome): Record<CallerName, Outcome> => ({
  ...everyone(Code.PermissionDenied),
  "A admin": "ok",
  "A policy admin": "ok",
  "A org runner itself": runnerItself,
  "B admin": Code.NotFound,
  "B member": Code.NotFound,
});
/** A's user runner: its creator and A's org admin are its admins; nobody else can see it. */
const userRunnerAdmins = (outcome: Outcome = "ok"): Record<CallerName, Outcome> => ({
  ...everyone(Code.NotFound),
  "A admin": outcome,
  "A user-runner creator": outcome,
});
/** RunnerInteractionService: only a runner, about itself; anyone else is refused whatever the id. */
const runnerOnly = (runnerItself: Outcome): Record<CallerName, Outcome> => ({
  ...everyone(Code.PermissionDenied),
  "A org runner itself": runnerItself,
});

/**
 * Targets for rows whose call changes or removes what it acts on, made anew for every cell
 * (through the API, as A's admin or the user-runner creator), so that no cell depends on
 * what another cell did. They run inside the row's call, after beforeAll. A failing set-up
 * surfaces as `unknown`, never as the Connect code a cell might expect.
 */
const fresh = setUp({
  /** An org runner of A with the fixture org runner's policies: "ops" ADMIN, "devs" USER. */
  async orgRunner(): Promise<string> {
    const admin = inProcessClients(server.sql, fx.tokens["A admin"]);
    const { runner } = await admin.runners.createRunner({ name: "A fresh fleet", provider: RunnerProvider.AWS_EC2 });
    const runnerId = runner?.runnerId as string;
    const groups = new Map((await listGroups(server.sql, fx.organizations.A)).map((g) => [g.name, g.id]));
    for (const [name, role] of [
      ["ops", RunnerRole.ADMIN],
      ["devs", RunnerRole.USER],
    ] as const) {
      await admin.runners.createRunnerPolicy({ runnerId, groupId: groups.get(name) as string, role });
    }
    return runnerId;
  },
  /** A user runner of A, created by "A user-runner creator". */
  async userRunner(): Promise<string> {
    const creator = inProcessClients(server.sql, fx.tokens["A user-runner creator"]);
    const { runner } = await creator.runners.createRunner({
      name: "A fresh laptop",
      provider: RunnerProvider.LINUX_HOST,
    });
    return runner?.runnerId as string;
  },
  /** An empty group of org A (no policy yet). */
  async group(): Promise<string> {
    return (await seedGroup(server.sql, fx.organizations.A, `fresh ${randomUUID()}`, [])).id;
  },
  /** An empty group of org A with a USER policy on A's org runner; returns the group id. */
  async policy(): Promise<string> {
    const groupId = await fresh.group();
    await inProcessClients(server.sql, fx.tokens["A admin"]).runners.createRunnerPolicy({
      runnerId: fx.runners.orgRunner,
      groupId,
      role: RunnerRole.USER,
    });
    return groupId;
  },
});

function setUp<T extends Record<string, () => Promise<string>>>(makers: T): T {
  const wrapped = Object.entries(makers).map(([name, make]) => [
    name,
    () =>
      make().catch((error: unknown) => {
        throw new Error(`setting up a fresh ${name} failed: ${String(error)}`);
      }),
  ]);
  return Object.fromEntries(wrapped) as T;
}

const rows: AccessRow[] = [
  {
    name: "IdentityService.GetAuthenticatedIdentity",
    call: (c) => c.identity.getAuthenticatedIdentity({}),
    expect: everyone("ok"),
  },

  // RunnerService: reading runners.
  {
    name: "RunnerService.GetRunner on A's org runner",
    call: (c, fx) => c.runners.getRunner({ runnerId: fx.runners.orgRunner }),
    expect: orgRunnerUsers("ok"),
  },
  {
    name: "RunnerService.GetRunner on A's user runner",
    call: (c, fx) => c.runners.getRunner({ runnerId: fx.runners.userRunner }),
    expect: userRunnerAdmins(),
  },
  {
    name: "RunnerService.GetRunner on B's org runner",
    call: (c, fx) => c.runners.getRunner({ runnerId: fx.runners.otherOrgRunner }),
    expect: { ...everyone(Code.NotFound), "B admin": "ok", "B member": "ok" },
  },
  {
    name: "RunnerService.GetRunner on an unknown runner",
    call: (c) => c.runners.getRunner({ runnerId: unknownRunner }),
    expect: everyone(Code.NotFound),
  },
  {
    // Who sees which runners is tested with ListRunners' own tests; everyone may ask.
    name: "RunnerService.ListRunners",
    call: (c) => c.runners.listRunners({}),
    expect: everyone("ok"),
  },

  // RunnerService: changing and removing runners (runner admin).
  {
    name: "RunnerService.UpdateRunner (name) on A's org runner",
    call: (c, fx) => c.runners.updateRunner({ runnerId: fx.runners.orgRunner, name: "A fleet" }),
    expect: orgRunnerAdmins(Code.PermissionDenied),
  },
  {
    name: "RunnerService.UpdateRunner (name) on A's user runner",
    call: (c, fx) => c.runners.updateRunner({ runnerId: fx.runners.userRunner, name: "A laptop" }),
    expect: userRunnerAdmins(),
  },
  {
    name: "RunnerService.UpdateRunner (name) on B's org runner",
    call: (c, fx) => c.runners.updateRunner({ runnerId: fx.runners.otherOrgRunner, name: "B fleet" }),
    expect: { ...everyone(Code.NotFound), "B admin": "ok", "B member": Code.PermissionDenied },
  },
  {
    // A runner deleting itself (its acknowledgement) needs its own fresh token: tested with DeleteRunner.
    name: "RunnerService.DeleteRunner (force) on a fresh org runner of A",
    call: async (c) => c.runners.deleteRunner({ runnerId: await fresh.orgRunner(), force: true }),
    expect: orgRunnerAdmins(Code.NotFound),
  },
  {
    name: "RunnerService.DeleteRunner (force) on a fresh user runner of A",
    call: async (c) => c.runners.deleteRunner({ runnerId: await fresh.userRunner(), force: true }),
    expect: userRunnerAdmins(),
  },

  // RunnerService: tokens (runner admin; never the runner itself).
  {
    name: "RunnerService.CreateRunnerToken on A's org runner",
    call: (c, fx) => c.runners.createRunnerToken({ runnerId: fx.runners.orgRunner }),
    expect: orgRunnerAdmins(Code.PermissionDenied),
  },
  {
    name: "RunnerService.CreateRunnerToken on A's user runner",
    call: (c, fx) => c.runners.createRunnerToken({ runnerId: fx.runners.userRunner }),
    expect: userRunnerAdmins(),
  },
  {
    name: "RunnerService.CreateRunnerLogsToken on A's org runner",
    call: (c, fx) => c.runners.createRunnerLogsToken({ runnerId: fx.runners.orgRunner }),
    expect: orgRunnerAdmins(Code.PermissionDenied),
  },
  {
    name: "RunnerService.CreateRunnerLogsToken on A's user runner",
    call: (c, fx) => c.runners.createRunnerLogsToken({ runnerId: fx.runners.userRunner }),
    expect: userRunnerAdmins(),
  },

  // RunnerService: policies (runner admin, listing included: docs/runners.md).
  {
    name: "RunnerService.ListRunnerPolicies on A's org runner",
    call: (c, fx) => c.runners.listRunnerPolicies({ runnerId: fx.runners.orgRunner }),
    expect: orgRunnerAdmins(Code.PermissionDenied),
  },
  {
    name: "RunnerService.ListRunnerPolicies on A's user runner",
    call: (c, fx) => c.runners.listRunnerPolicies({ runnerId: fx.runners.userRunner }),
    expect: userRunnerAdmins(),
  },
  {
    name: "RunnerService.CreateRunnerPolicy (fresh group) on A's org runner",
    call: async (c, fx) =>
      c.runners.createRunnerPolicy({
        runnerId: fx.runners.orgRunner,
        groupId: await fresh.group(),
        role: RunnerRole.USER,
      }),
    expect: orgRunnerAdmins(Code.PermissionDenied),
  },
  {
    // Visible to its admins, who learn that user runners take no policies; hidden from the rest.
    name: "RunnerService.CreateRunnerPolicy (fresh group) on A's user runner",
    call: async (c, fx) =>
      c.runners.createRunnerPolicy({
        runnerId: fx.runners.userRunner,
        groupId: await fresh.group(),
        role: RunnerRole.USER,
      }),
    expect: userRunnerAdmins(Code.FailedPrecondition),
  },
  {
    name: "RunnerService.UpdateRunnerPolicy (fresh policy) on A's org runner",
    call: async (c, fx) =>
      c.runners.updateRunnerPolicy({
        runnerId: fx.runners.orgRunner,
        groupId: await fresh.policy(),
        role: RunnerRole.ADMIN,
      }),
    expect: orgRunnerAdmins(Code.PermissionDenied),
  },
  {
    name: "RunnerService.DeleteRunnerPolicy (fresh policy) on A's org runner",
    call: async (c, fx) =>
      c.runners.deleteRunnerPolicy({ runnerId: fx.runners.orgRunner, groupId: await fresh.policy() }),
    expect: orgRunnerAdmins(Code.PermissionDenied),
  },

  // RunnerInteractionService: a runner about itself only. Anyone but a runner is refused for
  // the method, before any id is looked at (so an unknown id gets the same answer: nothing leaks).
  {
    name: "RunnerInteractionService.MarkRunnerActive on A's org runner",
    call: (c, fx) => c.interaction.markRunnerActive({ runnerId: fx.runners.orgRunner }),
    expect: runnerOnly("ok"),
  },
  {
    name: "RunnerInteractionService.MarkRunnerActive on A's user runner",
    call: (c, fx) => c.interaction.markRunnerActive({ runnerId: fx.runners.userRunner }),
    expect: runnerOnly(Code.NotFound),
  },
  {
    name: "RunnerInteractionService.MarkRunnerActive on B's org runner",
    call: (c, fx) => c.interaction.markRunnerActive({ runnerId: fx.runners.otherOrgRunner }),
    expect: runnerOnly(Code.NotFound),
  },
  {
    name: "RunnerInteractionService.MarkRunnerActive on an unknown runner",
    call: (c) => c.interaction.markRunnerActive({ runnerId: unknownRunner }),
    expect: runnerOnly(Code.NotFound),
  },
  {
    // Signup names no runner: it signs up the caller itself.
    name: "RunnerInteractionService.Signup (key only)",
    call: (c) => c.interaction.signup({ publicKey: new Uint8Array(32).fill(7) }),
    expect: runnerOnly("ok"),
  },
  // IdentityService.ExchangeToken is unauthenticated by design (authentication.test.ts).
];

beforeAll(async () => {
  server = await startTestServer();
  fx = await createTenancyFixture(server.sql);
});
afterAll(() => server.close());

const cells = rows.flatMap((row) =>
  (Object.entries(row.expect) as [CallerName, AccessRow["expect"][CallerName]][]).map(
    ([caller, outcome]) => [row.name, caller, outcome === "ok" ? "ok" : Code[outcome], row, outcome] as const,
  ),
);

describe("access matrix", () => {
  it.each(cells)("%s as %s → %s", async (_name, caller, _label, row, outcome) => {
    expect(await outcomeOf(row.call(clientsFor(server.baseUrl, fx.tokens[caller]), fx))).toBe(outcome);
  });
});
