/**
 * Who may call what, across two organizations, over the real server. One row per method
 * (and target): each issue that implements a method adds rows here, not code.
 *
 * Callers (testing/tenancy-fixture.ts): org A's admin, member, service account, members of
 * groups holding ADMIN and USER policies on A's org runner, the creator of A's user runner,
 * A's org runner itself (runner principal), and org B's admin and member.
 */
import { randomUUID } from "node:crypto";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { ResourceType } from "@runnerplane/api/gitpod/v1/event_pb";
import { ResourceRole } from "@runnerplane/api/gitpod/v1/group_pb";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import { SupportedModel } from "@runnerplane/api/gitpod/v1/model_pb";
import { OrganizationRole } from "@runnerplane/api/gitpod/v1/organization_pb";
import { HostAuthenticationTokenSource, RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { RunnerRole } from "@runnerplane/api/gitpod/v1/runner_pb";
import sodium from "libsodium-wrappers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listGroups } from "../db/groups.js";
import { type AccessRow, clientsFor, everyone, type Outcome, outcomeOf } from "../testing/access-matrix.js";
import {
  type CallerName,
  createTenancyFixture,
  inProcessClients,
  seedGroup,
  seedMember,
  startTestServer,
  type TenancyFixture,
  type TestServer,
} from "../testing/index.js";
import { startTestIdp, type TestIdp } from "../testing/oidc-provider.js";

let server: TestServer;
let fx: TenancyFixture;
let idp: TestIdp;

const unknownRunner = "0b9b1f6e-3c1a-4c77-9e55-2f6a1d0c9e01";
/** Valid against the default schema: cpu and memory are required. */
const validConfiguration = [
  { key: "cpu", value: "2" },
  { key: "memory", value: "4096" },
];

/** Long-lived configuration targets on A's runners, made once after the fixture (beforeAll). */
const targets = {
  orgClass: "",
  userClass: "",
  orgIntegration: "",
  memberToken: "",
  memberTokenHost: "",
  orgLlmIntegration: "",
  /** Group "ops" of org A (the ADMIN policy on A's org runner, "A policy admin" its member). */
  opsGroup: "",
  /** A personal access token of "A member", made by it over the API. */
  memberPat: "",
  /** A token of "A service account", made by it over the API. */
  serviceAccountToken: "",
};

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
 * The services about an org's people (UserService, OrganizationService, GroupService,
 * ServiceAccountService; docs/identity.md): a runner is no member of its org, and org B
 * cannot see what belongs to org A.
 */
const orgAMembers = (): Record<CallerName, Outcome> => ({
  ...everyone("ok"),
  "A org runner itself": Code.PermissionDenied,
  "B admin": Code.NotFound,
  "B member": Code.NotFound,
});
/** A change to something of org A: its admin only; the other members see it and are refused. */
const orgAAdminChange = (): Record<CallerName, Outcome> => ({
  ...everyone(Code.PermissionDenied),
  "A admin": "ok",
  "B admin": Code.NotFound,
  "B member": Code.NotFound,
});
/** Any member of any org, about its own org; a runner is refused. */
const anyMember = (): Record<CallerName, Outcome> => ({
  ...everyone("ok"),
  "A org runner itself": Code.PermissionDenied,
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
  /** An environment class on A's org runner. */
  async environmentClass(): Promise<string> {
    const admin = inProcessClients(server.sql, fx.tokens["A admin"]);
    return (
      await admin.configuration.createEnvironmentClass({
        runnerId: fx.runners.orgRunner,
        displayName: "Fresh class",
        description: "for one cell",
        configuration: validConfiguration,
      })
    ).id;
  },
  /** A PAT-only SCM integration on A's org runner, for a host of its own. */
  async scmIntegration(): Promise<string> {
    const admin = inProcessClients(server.sql, fx.tokens["A admin"]);
    return (
      await admin.configuration.createSCMIntegration({
        runnerId: fx.runners.orgRunner,
        scmId: "github",
        host: `git-${randomUUID()}.example.com`,
        pat: true,
      })
    ).id;
  },
  /** An LLM integration on A's org runner (signed up in beforeAll, so its key can be sealed). */
  async llmIntegration(): Promise<string> {
    const admin = inProcessClients(server.sql, fx.tokens["A admin"]);
    return (
      await admin.configuration.createLLMIntegration({
        runnerId: fx.runners.orgRunner,
        models: [SupportedModel.SONNET_4],
        endpoint: "https://llm.example.com",
        apiKey: "sk-matrix",
      })
    ).id;
  },
  /** A host token of "A member" on A's org runner, for a host of its own. */
  async memberHostToken(): Promise<string> {
    const member = inProcessClients(server.sql, fx.tokens["A member"]);
    const { token } = await member.configuration.createHostAuthenticationToken({
      runnerId: fx.runners.orgRunner,
      host: `git-${randomUUID()}.example.com`,
      token: "pat-value",
      source: HostAuthenticationTokenSource.PAT,
    });
    return token?.id as string;
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
  /** A user of org A with no token in use, to suspend or to change the role of. */
  async user(): Promise<string> {
    return (await seedMember(server.sql, fx.organizations.A, { name: `fresh user ${randomUUID()}` })).member.id;
  },
  /** A personal access token of "A member", made by it over the API; returns the token's id. */
  async memberPat(): Promise<string> {
    const member = inProcessClients(server.sql, fx.tokens["A member"]);
    const description = `fresh ${randomUUID()}`;
    await member.users.createPersonalAccessToken({ userId: fx.callers["A member"].subject.id, description });
    const { personalAccessTokens } = await member.users.listPersonalAccessTokens({ pagination: { pageSize: 100 } });
    return personalAccessTokens.find((t) => t.description === description)?.id as string;
  },
  /** A membership of "A member" in a fresh group of A, made over the API; returns its id. */
  async membership(): Promise<string> {
    const admin = inProcessClients(server.sql, fx.tokens["A admin"]);
    const { member } = await admin.groups.createMembership({
      groupId: await fresh.group(),
      subject: { id: fx.callers["A member"].subject.id, principal: Principal.USER },
    });
    return member?.id as string;
  },
  /** A role assignment (RUNNER_USER on A's org runner) of a fresh group, made over GroupService. */
  async roleAssignment(): Promise<string> {
    const admin = inProcessClients(server.sql, fx.tokens["A admin"]);
    const { assignment } = await admin.groups.createRoleAssignment({
      groupId: await fresh.group(),
      resourceType: ResourceType.RUNNER,
      resourceId: fx.runners.orgRunner,
      resourceRole: ResourceRole.RUNNER_USER,
    });
    return assignment?.id as string;
  },
  /** A service account of org A, made by A's admin over the API. */
  async serviceAccount(): Promise<string> {
    const admin = inProcessClients(server.sql, fx.tokens["A admin"]);
    const { serviceAccount } = await admin.serviceAccounts.createServiceAccount({
      name: "fresh robot",
      validUntil: inDays(30),
    });
    return serviceAccount?.id as string;
  },
  /** A token of "A service account", made by it over the API; returns the token's id. */
  async serviceAccountToken(): Promise<string> {
    const robot = inProcessClients(server.sql, fx.tokens["A service account"]);
    const { serviceAccountToken } = await robot.serviceAccounts.createServiceAccountToken({ description: "fresh" });
    return serviceAccountToken?.id as string;
  },
});

const inDays = (days: number) => timestampFromDate(new Date(Date.now() + days * 86_400_000));

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

  // ── RunnerConfigurationService: environment classes ──
  {
    name: "RunnerConfigurationService.CreateEnvironmentClass on A's org runner",
    call: (c, fx) =>
      c.configuration.createEnvironmentClass({
        runnerId: fx.runners.orgRunner,
        displayName: "Matrix class",
        description: "made by a cell",
        configuration: validConfiguration,
      }),
    expect: orgRunnerAdmins(Code.PermissionDenied),
  },
  {
    name: "RunnerConfigurationService.CreateEnvironmentClass on A's user runner",
    call: (c, fx) =>
      c.configuration.createEnvironmentClass({
        runnerId: fx.runners.userRunner,
        displayName: "Matrix class",
        description: "made by a cell",
        configuration: validConfiguration,
      }),
    expect: userRunnerAdmins(),
  },
  {
    name: "RunnerConfigurationService.GetEnvironmentClass of A's org runner",
    call: (c) => c.configuration.getEnvironmentClass({ environmentClassId: targets.orgClass }),
    expect: orgRunnerUsers("ok"),
  },
  {
    name: "RunnerConfigurationService.GetEnvironmentClass of A's user runner",
    call: (c) => c.configuration.getEnvironmentClass({ environmentClassId: targets.userClass }),
    expect: userRunnerAdmins(),
  },
  {
    name: "RunnerConfigurationService.UpdateEnvironmentClass of A's org runner",
    call: (c) => c.configuration.updateEnvironmentClass({ environmentClassId: targets.orgClass, enabled: true }),
    expect: orgRunnerAdmins(Code.PermissionDenied),
  },
  {
    name: "RunnerConfigurationService.UpdateEnvironmentClass of A's user runner",
    call: (c) => c.configuration.updateEnvironmentClass({ environmentClassId: targets.userClass, enabled: true }),
    expect: userRunnerAdmins(),
  },
  {
    name: "RunnerConfigurationService.ListEnvironmentClasses",
    call: (c) => c.configuration.listEnvironmentClasses({}),
    expect: everyone("ok"),
  },
  {
    name: "RunnerConfigurationService.GetRunnerConfigurationSchema of A's org runner",
    call: (c, fx) => c.configuration.getRunnerConfigurationSchema({ runnerId: fx.runners.orgRunner }),
    expect: orgRunnerUsers("ok"),
  },
  {
    name: "RunnerConfigurationService.GetRunnerConfigurationSchema of A's user runner",
    call: (c, fx) => c.configuration.getRunnerConfigurationSchema({ runnerId: fx.runners.userRunner }),
    expect: userRunnerAdmins(),
  },
  {
    name: "RunnerConfigurationService.ValidateRunnerConfiguration on A's org runner",
    call: (c, fx) =>
      c.configuration.validateRunnerConfiguration({
        runnerId: fx.runners.orgRunner,
        config: { case: "environmentClass", value: { displayName: "x", description: "y" } },
      }),
    expect: orgRunnerAdmins(Code.PermissionDenied),
  },

  // ── RunnerConfigurationService: SCM integrations ──
  {
    name: "RunnerConfigurationService.CreateSCMIntegration on A's org runner",
    call: (c, fx) =>
      c.configuration.createSCMIntegration({
        runnerId: fx.runners.orgRunner,
        scmId: "gitlab",
        host: `gl-${randomUUID()}.example.com`,
        pat: true,
      }),
    expect: orgRunnerAdmins(Code.PermissionDenied),
  },
  {
    name: "RunnerConfigurationService.GetSCMIntegration on A's org runner",
    call: (c) => c.configuration.getSCMIntegration({ id: targets.orgIntegration }),
    expect: orgRunnerUsers("ok"),
  },
  {
    name: "RunnerConfigurationService.UpdateSCMIntegration on A's org runner",
    call: (c) => c.configuration.updateSCMIntegration({ id: targets.orgIntegration, pat: true }),
    expect: orgRunnerAdmins(Code.PermissionDenied),
  },
  {
    name: "RunnerConfigurationService.DeleteSCMIntegration (fresh) on A's org runner",
    call: async (c) => c.configuration.deleteSCMIntegration({ id: await fresh.scmIntegration() }),
    expect: orgRunnerAdmins(Code.PermissionDenied),
  },
  {
    name: "RunnerConfigurationService.ListSCMIntegrations",
    call: (c) => c.configuration.listSCMIntegrations({}),
    expect: everyone("ok"),
  },

  // ── RunnerConfigurationService: host authentication tokens ──
  {
    name: "RunnerConfigurationService.CreateHostAuthenticationToken for oneself on A's org runner",
    call: (c, fx) =>
      c.configuration.createHostAuthenticationToken({
        runnerId: fx.runners.orgRunner,
        host: `own-${randomUUID()}.example.com`,
        token: "t",
        source: HostAuthenticationTokenSource.PAT,
      }),
    // A runner has no tokens of its own: it must say whose token it stores.
    expect: orgRunnerUsers(Code.InvalidArgument),
  },
  {
    name: 'RunnerConfigurationService.CreateHostAuthenticationToken for "A member" on A\'s org runner',
    call: (c, fx) =>
      c.configuration.createHostAuthenticationToken({
        runnerId: fx.runners.orgRunner,
        host: `theirs-${randomUUID()}.example.com`,
        token: "t",
        source: HostAuthenticationTokenSource.OAUTH,
        subject: { id: fx.callers["A member"].subject.id },
      }),
    expect: {
      ...orgRunnerAdmins("ok"),
      "A member": "ok", // its own token
    },
  },
  {
    name: 'RunnerConfigurationService.GetHostAuthenticationToken of "A member" on A\'s org runner',
    call: (c) => c.configuration.getHostAuthenticationToken({ id: targets.memberToken }),
    expect: { ...memberTokenInvisible(), "A member": "ok", "A admin": "ok", "A policy admin": "ok" },
  },
  {
    name: 'RunnerConfigurationService.UpdateHostAuthenticationToken of "A member" on A\'s org runner',
    call: (c) => c.configuration.updateHostAuthenticationToken({ id: targets.memberToken, scopes: ["repo"] }),
    expect: {
      ...memberTokenInvisible(),
      "A member": "ok",
      "A admin": Code.PermissionDenied,
      "A policy admin": Code.PermissionDenied,
      // It refreshes its users' OAuth tokens (docs/scm-oauth.md).
      "A org runner itself": "ok",
    },
  },
  {
    name: 'RunnerConfigurationService.DeleteHostAuthenticationToken (fresh) of "A member" on A\'s org runner',
    call: async (c) => c.configuration.deleteHostAuthenticationToken({ id: await fresh.memberHostToken() }),
    expect: { ...memberTokenInvisible(), "A member": "ok", "A admin": "ok", "A policy admin": "ok" },
  },
  {
    name: "RunnerConfigurationService.ListHostAuthenticationTokens",
    call: (c) => c.configuration.listHostAuthenticationTokens({}),
    expect: everyone("ok"),
  },

  // ── RunnerInteractionService: configuration calls of the runner ──
  {
    name: "RunnerInteractionService.UpdateRunnerConfigurationSchema on A's org runner",
    call: (c, fx) =>
      c.interaction.updateRunnerConfigurationSchema({ runnerId: fx.runners.orgRunner, configSchema: {} }),
    expect: runnerOnly("ok"),
  },
  {
    name: "RunnerInteractionService.GetHostAuthenticationTokenValue on A's org runner",
    call: (c, fx) =>
      c.interaction.getHostAuthenticationTokenValue({
        runnerId: fx.runners.orgRunner,
        principalId: fx.callers["A member"].subject.id,
        host: targets.memberTokenHost,
      }),
    expect: runnerOnly("ok"),
  },

  // ── RunnerConfigurationService: LLM integrations (behaviour.md §16) ──
  {
    name: "RunnerConfigurationService.CreateLLMIntegration on A's org runner",
    call: (c, fx) =>
      c.configuration.createLLMIntegration({
        runnerId: fx.runners.orgRunner,
        models: [SupportedModel.OPUS_4],
        endpoint: "https://llm.example.com",
        apiKey: "sk-cell",
      }),
    expect: orgRunnerAdmins(Code.PermissionDenied),
  },
  {
    // The user runner never signed up: its admins learn the key cannot be sealed yet.
    name: "RunnerConfigurationService.CreateLLMIntegration on A's user runner",
    call: (c, fx) =>
      c.configuration.createLLMIntegration({
        runnerId: fx.runners.userRunner,
        models: [SupportedModel.OPUS_4],
        endpoint: "https://llm.example.com",
        apiKey: "sk-cell",
      }),
    expect: userRunnerAdmins(Code.FailedPrecondition),
  },
  {
    name: "RunnerConfigurationService.GetLLMIntegration on A's org runner",
    call: (c) => c.configuration.getLLMIntegration({ id: targets.orgLlmIntegration }),
    expect: orgRunnerUsers("ok"),
  },
  {
    name: "RunnerConfigurationService.UpdateLLMIntegration on A's org runner",
    call: (c) => c.configuration.updateLLMIntegration({ id: targets.orgLlmIntegration, maxTokens: 1024n }),
    expect: orgRunnerAdmins(Code.PermissionDenied),
  },
  {
    name: "RunnerConfigurationService.DeleteLLMIntegration (fresh) on A's org runner",
    call: async (c) => c.configuration.deleteLLMIntegration({ id: await fresh.llmIntegration() }),
    expect: orgRunnerAdmins(Code.PermissionDenied),
  },
  {
    name: "RunnerConfigurationService.ListLLMIntegrations",
    call: (c) => c.configuration.listLLMIntegrations({}),
    expect: everyone("ok"),
  },
  {
    name: "RunnerInteractionService.ListRunnerLLMIntegrations on A's org runner",
    call: (c, fx) => c.interaction.listRunnerLLMIntegrations({ runnerId: fx.runners.orgRunner }),
    expect: runnerOnly("ok"),
  },
  {
    name: "RunnerInteractionService.ListRunnerLLMIntegrations on B's org runner",
    call: (c, fx) => c.interaction.listRunnerLLMIntegrations({ runnerId: fx.runners.otherOrgRunner }),
    expect: runnerOnly(Code.NotFound),
  },
  {
    name: "RunnerInteractionService.GetRunnerLLMIntegration on A's org runner",
    call: (c, fx) =>
      c.interaction.getRunnerLLMIntegration({
        runnerId: fx.runners.orgRunner,
        llmIntegrationId: targets.orgLlmIntegration,
      }),
    expect: runnerOnly("ok"),
  },
  // ── UserService (docs/identity.md#users-and-personal-access-tokens) ──
  {
    name: "UserService.GetAuthenticatedUser",
    call: (c) => c.users.getAuthenticatedUser({}),
    // About "me as a user": a service account is no user, a runner no member.
    expect: { ...anyMember(), "A service account": Code.PermissionDenied },
  },
  {
    name: 'UserService.GetUser of "A member"',
    call: (c, fx) => c.users.getUser({ userId: fx.callers["A member"].subject.id }),
    expect: orgAMembers(),
  },
  {
    name: "UserService.GetUser of A's service account (no user)",
    call: (c, fx) => c.users.getUser({ userId: fx.callers["A service account"].subject.id }),
    expect: { ...everyone(Code.NotFound), "A org runner itself": Code.PermissionDenied },
  },
  {
    name: "UserService.GetUser of an unknown user",
    call: (c) => c.users.getUser({ userId: unknownRunner }),
    expect: { ...everyone(Code.NotFound), "A org runner itself": Code.PermissionDenied },
  },
  {
    name: "UserService.SetSuspended (true) on a fresh user of A",
    call: async (c) => c.users.setSuspended({ userId: await fresh.user(), suspended: true }),
    expect: orgAAdminChange(),
  },
  {
    name: 'UserService.SetSuspended (false) on "B member"',
    call: (c, fx) => c.users.setSuspended({ userId: fx.callers["B member"].subject.id, suspended: false }),
    expect: {
      ...everyone(Code.NotFound),
      "A org runner itself": Code.PermissionDenied,
      "B admin": "ok",
      "B member": Code.PermissionDenied,
    },
  },
  {
    // The caller's own id, whoever it is: only users get personal access tokens.
    name: "UserService.CreatePersonalAccessToken for oneself",
    call: async (c) => {
      const { subject } = await c.identity.getAuthenticatedIdentity({});
      return c.users.createPersonalAccessToken({ userId: subject?.id as string, description: "own" });
    },
    expect: { ...anyMember(), "A service account": Code.PermissionDenied },
  },
  {
    name: 'UserService.CreatePersonalAccessToken for "A member"',
    call: (c, fx) => c.users.createPersonalAccessToken({ userId: fx.callers["A member"].subject.id }),
    expect: { ...orgAAdminChange(), "A admin": Code.PermissionDenied, "A member": "ok" },
  },
  {
    name: 'UserService.GetPersonalAccessToken of "A member"',
    call: (c) => c.users.getPersonalAccessToken({ personalAccessTokenId: targets.memberPat }),
    // Its own, and every user's for an org admin; invisible to the rest.
    expect: {
      ...everyone(Code.NotFound),
      "A admin": "ok",
      "A member": "ok",
      "A org runner itself": Code.PermissionDenied,
    },
  },
  {
    name: "UserService.ListPersonalAccessTokens",
    call: (c) => c.users.listPersonalAccessTokens({}),
    expect: anyMember(),
  },
  {
    name: 'UserService.DeletePersonalAccessToken (fresh) of "A member"',
    call: async (c) => c.users.deletePersonalAccessToken({ personalAccessTokenId: await fresh.memberPat() }),
    expect: {
      ...everyone(Code.NotFound),
      "A admin": "ok",
      "A member": "ok",
      "A org runner itself": Code.PermissionDenied,
    },
  },

  // ── OrganizationService (docs/identity.md#the-organization-and-its-roles) ──
  {
    name: "OrganizationService.GetOrganization of A",
    call: (c, fx) => c.organization.getOrganization({ organizationId: fx.organizations.A }),
    expect: orgAMembers(),
  },
  {
    // The runner belongs to A: B's id is as unknown to it as to A's members.
    name: "OrganizationService.GetOrganization of B",
    call: (c, fx) => c.organization.getOrganization({ organizationId: fx.organizations.B }),
    expect: { ...everyone(Code.NotFound), "B admin": "ok", "B member": "ok" },
  },
  {
    name: "OrganizationService.GetOrganization of an unknown org",
    call: (c) => c.organization.getOrganization({ organizationId: unknownRunner }),
    expect: everyone(Code.NotFound),
  },
  {
    name: "OrganizationService.UpdateOrganization (same name) of A",
    call: (c, fx) => c.organization.updateOrganization({ organizationId: fx.organizations.A, name: "Org A" }),
    expect: orgAAdminChange(),
  },
  {
    name: "OrganizationService.ListMembers of A",
    call: (c, fx) => c.organization.listMembers({ organizationId: fx.organizations.A }),
    expect: orgAMembers(),
  },
  {
    name: "OrganizationService.SetRole (member) on a fresh user of A",
    call: async (c, fx) =>
      c.organization.setRole({
        organizationId: fx.organizations.A,
        userId: await fresh.user(),
        role: OrganizationRole.MEMBER,
      }),
    expect: orgAAdminChange(),
  },
  {
    name: 'OrganizationService.SetRole (member) on "B member"',
    call: (c, fx) =>
      c.organization.setRole({
        organizationId: fx.organizations.B,
        userId: fx.callers["B member"].subject.id,
        role: OrganizationRole.MEMBER,
      }),
    expect: { ...everyone(Code.NotFound), "B admin": "ok", "B member": Code.PermissionDenied },
  },

  // ── GroupService (docs/identity.md#groups-memberships-and-role-assignments) ──
  {
    name: "GroupService.CreateGroup in A",
    call: (c, fx) => c.groups.createGroup({ organizationId: fx.organizations.A, name: `matrix ${randomUUID()}` }),
    expect: orgAAdminChange(),
  },
  {
    name: 'GroupService.GetGroup of A\'s "ops"',
    call: (c) => c.groups.getGroup({ group: { case: "id", value: targets.opsGroup } }),
    expect: orgAMembers(),
  },
  {
    name: "GroupService.GetGroup of an unknown group",
    call: (c) => c.groups.getGroup({ group: { case: "id", value: unknownRunner } }),
    expect: { ...everyone(Code.NotFound), "A org runner itself": Code.PermissionDenied },
  },
  {
    name: "GroupService.ListGroups",
    call: (c) => c.groups.listGroups({}),
    expect: anyMember(),
  },
  {
    name: "GroupService.UpdateGroup (fresh group of A)",
    call: async (c) => c.groups.updateGroup({ groupId: await fresh.group(), name: `renamed ${randomUUID()}` }),
    expect: orgAAdminChange(),
  },
  {
    name: "GroupService.DeleteGroup (fresh group of A)",
    call: async (c) => c.groups.deleteGroup({ groupId: await fresh.group() }),
    expect: orgAAdminChange(),
  },
  {
    name: 'GroupService.CreateMembership of "A member" in a fresh group of A',
    call: async (c, fx) =>
      c.groups.createMembership({
        groupId: await fresh.group(),
        subject: { id: fx.callers["A member"].subject.id, principal: Principal.USER },
      }),
    expect: orgAAdminChange(),
  },
  {
    name: 'GroupService.GetMembership of "A policy admin" in "ops"',
    call: (c, fx) =>
      c.groups.getMembership({
        groupId: targets.opsGroup,
        subject: { id: fx.callers["A policy admin"].subject.id, principal: Principal.USER },
      }),
    expect: orgAMembers(),
  },
  {
    name: 'GroupService.ListMemberships of "ops"',
    call: (c) => c.groups.listMemberships({ groupId: targets.opsGroup }),
    expect: orgAMembers(),
  },
  {
    name: "GroupService.DeleteMembership (fresh membership in A)",
    call: async (c) => c.groups.deleteMembership({ membershipId: await fresh.membership() }),
    expect: orgAAdminChange(),
  },
  {
    name: "GroupService.CreateRoleAssignment (fresh group) on A's org runner",
    call: async (c, fx) =>
      c.groups.createRoleAssignment({
        groupId: await fresh.group(),
        resourceType: ResourceType.RUNNER,
        resourceId: fx.runners.orgRunner,
        resourceRole: ResourceRole.RUNNER_USER,
      }),
    expect: orgAAdminChange(),
  },
  {
    // Hidden from whoever cannot see the user runner; its creator sees it but may not assign.
    name: "GroupService.CreateRoleAssignment (fresh group) on A's user runner",
    call: async (c, fx) =>
      c.groups.createRoleAssignment({
        groupId: await fresh.group(),
        resourceType: ResourceType.RUNNER,
        resourceId: fx.runners.userRunner,
        resourceRole: ResourceRole.RUNNER_USER,
      }),
    expect: {
      ...everyone(Code.NotFound),
      "A admin": Code.FailedPrecondition,
      "A user-runner creator": Code.PermissionDenied,
      "A org runner itself": Code.PermissionDenied,
    },
  },
  {
    name: "GroupService.CreateRoleAssignment (fresh group) on B's org runner",
    call: async (c, fx) =>
      c.groups.createRoleAssignment({
        groupId: await fresh.group(),
        resourceType: ResourceType.RUNNER,
        resourceId: fx.runners.otherOrgRunner,
        resourceRole: ResourceRole.RUNNER_USER,
      }),
    // B's admin sees its runner but not A's group; A's callers cannot see B's runner.
    expect: { ...everyone(Code.NotFound), "A org runner itself": Code.PermissionDenied, "B member": Code.NotFound },
  },
  {
    name: "GroupService.ListRoleAssignments",
    call: (c) => c.groups.listRoleAssignments({}),
    expect: anyMember(),
  },
  {
    // Seen, like ListRunnerPolicies, by the runner's admins: A's org admin and the "ops" group.
    name: "GroupService.DeleteRoleAssignment (fresh) on A's org runner",
    call: async (c) => c.groups.deleteRoleAssignment({ assignmentId: await fresh.roleAssignment() }),
    expect: {
      ...everyone(Code.NotFound),
      "A admin": "ok",
      "A policy admin": Code.PermissionDenied,
      "A org runner itself": Code.PermissionDenied,
    },
  },

  // ── ServiceAccountService (docs/identity.md#service-accounts-and-their-tokens) ──
  {
    // Names no org: each admin creates in its own.
    name: "ServiceAccountService.CreateServiceAccount",
    call: (c) => c.serviceAccounts.createServiceAccount({ name: "matrix robot", validUntil: inDays(1) }),
    expect: { ...everyone(Code.PermissionDenied), "A admin": "ok", "B admin": "ok" },
  },
  {
    name: "ServiceAccountService.GetServiceAccount of A's service account",
    call: (c, fx) =>
      c.serviceAccounts.getServiceAccount({ serviceAccountId: fx.callers["A service account"].subject.id }),
    expect: orgAMembers(),
  },
  {
    name: 'ServiceAccountService.GetServiceAccount of "A member" (a user)',
    call: (c, fx) => c.serviceAccounts.getServiceAccount({ serviceAccountId: fx.callers["A member"].subject.id }),
    expect: { ...everyone(Code.NotFound), "A org runner itself": Code.PermissionDenied },
  },
  {
    name: "ServiceAccountService.ListServiceAccounts",
    call: (c) => c.serviceAccounts.listServiceAccounts({}),
    expect: anyMember(),
  },
  {
    name: "ServiceAccountService.UpdateServiceAccount (fresh account of A)",
    call: async (c) =>
      c.serviceAccounts.updateServiceAccount({ serviceAccountId: await fresh.serviceAccount(), name: "renamed" }),
    expect: orgAAdminChange(),
  },
  {
    name: "ServiceAccountService.DeleteServiceAccount (fresh account of A)",
    call: async (c) => c.serviceAccounts.deleteServiceAccount({ serviceAccountId: await fresh.serviceAccount() }),
    expect: orgAAdminChange(),
  },
  {
    name: "ServiceAccountService.CreateServiceAccountAccessToken (fresh account of A)",
    call: async (c) =>
      c.serviceAccounts.createServiceAccountAccessToken({ serviceAccountId: await fresh.serviceAccount() }),
    expect: orgAAdminChange(),
  },
  {
    // The calling service account's own tokens: only a service account may.
    name: "ServiceAccountService.CreateServiceAccountToken",
    call: (c) => c.serviceAccounts.createServiceAccountToken({ description: "matrix" }),
    expect: { ...everyone(Code.PermissionDenied), "A service account": "ok" },
  },
  {
    name: "ServiceAccountService.ListServiceAccountTokens",
    call: (c) => c.serviceAccounts.listServiceAccountTokens({}),
    expect: anyMember(),
  },
  {
    name: "ServiceAccountService.GetServiceAccountToken of A's service account",
    call: (c) => c.serviceAccounts.getServiceAccountToken({ serviceAccountTokenId: targets.serviceAccountToken }),
    expect: {
      ...everyone(Code.NotFound),
      "A admin": "ok",
      "A service account": "ok",
      "A org runner itself": Code.PermissionDenied,
    },
  },
  {
    name: "ServiceAccountService.DeleteServiceAccountToken (fresh) of A's service account",
    call: async (c) =>
      c.serviceAccounts.deleteServiceAccountToken({ serviceAccountTokenId: await fresh.serviceAccountToken() }),
    expect: {
      ...everyone(Code.NotFound),
      "A admin": "ok",
      "A service account": "ok",
      "A org runner itself": Code.PermissionDenied,
    },
  },
];

// ── OrganizationService: SSO configurations (docs/sign-in.md) ──
const ssoRows: AccessRow[] = [
  {
    name: "OrganizationService.CreateSSOConfiguration in A",
    call: (c, fx) => c.organization.createSSOConfiguration({ ...ssoFields(), organizationId: fx.organizations.A }),
    expect: {
      ...everyone(Code.PermissionDenied),
      "A admin": "ok",
      "B admin": Code.NotFound,
      "B member": Code.NotFound,
    },
  },
  {
    name: "OrganizationService.ListSSOConfigurations of A",
    call: (c, fx) => c.organization.listSSOConfigurations({ organizationId: fx.organizations.A }),
    expect: ssoReaders(),
  },
  {
    name: "OrganizationService.GetSSOConfiguration of A",
    call: async (c) => c.organization.getSSOConfiguration({ ssoConfigurationId: await freshSso.configuration() }),
    expect: ssoReaders(),
  },
  {
    name: "OrganizationService.UpdateSSOConfiguration of A",
    call: async (c) =>
      c.organization.updateSSOConfiguration({ ssoConfigurationId: await freshSso.configuration(), displayName: "x" }),
    expect: ssoAdmins(),
  },
  {
    name: "OrganizationService.DeleteSSOConfiguration of A",
    call: async (c) => c.organization.deleteSSOConfiguration({ ssoConfigurationId: await freshSso.configuration() }),
    expect: ssoAdmins(),
  },
];
rows.push(...ssoRows);

/** Org A's members read its SSO configurations; org B sees none of them; a runner is no member. */
function ssoReaders(): Record<CallerName, Outcome> {
  return {
    ...everyone("ok"),
    "A org runner itself": Code.PermissionDenied,
    "B admin": Code.NotFound,
    "B member": Code.NotFound,
  };
}
function ssoAdmins(): Record<CallerName, Outcome> {
  return { ...ssoReaders(), ...onlyAdminOfA() };
}
function onlyAdminOfA(): Partial<Record<CallerName, Outcome>> {
  const members: CallerName[] = [
    "A member",
    "A service account",
    "A policy admin",
    "A policy user",
    "A user-runner creator",
  ];
  return Object.fromEntries(members.map((m) => [m, Code.PermissionDenied]));
}
function ssoFields() {
  return {
    issuerUrl: idp.issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    emailDomains: [`d${randomUUID().slice(0, 8)}.acme.test`],
  };
}
const freshSso = setUp({
  configuration: async () => {
    const admin = inProcessClients(server.sql, fx.tokens["A admin"]).organization;
    const res = await admin.createSSOConfiguration({ ...ssoFields(), organizationId: fx.organizations.A });
    return res.ssoConfiguration?.id as string;
  },
});

/** Someone else's host token: invisible (not found) to everyone but its subject and the runner's admins. */
function memberTokenInvisible(): Record<CallerName, Outcome> {
  return everyone(Code.NotFound);
}

beforeAll(async () => {
  server = await startTestServer();
  idp = await startTestIdp({ redirectUri: "http://localhost:8080/auth/oidc/callback" });
  fx = await createTenancyFixture(server.sql);
  targets.orgClass = await fresh.environmentClass();
  targets.userClass = (
    await inProcessClients(server.sql, fx.tokens["A user-runner creator"]).configuration.createEnvironmentClass({
      runnerId: fx.runners.userRunner,
      displayName: "Laptop class",
      description: "the creator's",
      configuration: validConfiguration,
    })
  ).id;
  targets.orgIntegration = await fresh.scmIntegration();
  targets.memberToken = await fresh.memberHostToken();
  const [row] = await server.sql<{ host: string }[]>`
    select host from host_authentication_tokens where id = ${targets.memberToken}`;
  targets.memberTokenHost = row?.host ?? "";
  // LLM integrations need the runner's public key to seal their API key.
  await sodium.ready;
  await inProcessClients(server.sql, fx.tokens["A org runner itself"]).interaction.signup({
    publicKey: sodium.crypto_box_keypair().publicKey,
  });
  targets.orgLlmIntegration = await fresh.llmIntegration();
  targets.opsGroup = (await listGroups(server.sql, fx.organizations.A)).find((g) => g.name === "ops")?.id ?? "";
  targets.memberPat = await fresh.memberPat();
  targets.serviceAccountToken = await fresh.serviceAccountToken();
});
afterAll(async () => {
  await server.close();
  await idp.close();
});

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
