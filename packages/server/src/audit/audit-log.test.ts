/**
 * Every successful mutation writes exactly one audit entry, in its transaction, naming the
 * right actor, action and subject; failed calls — refused before writing, or failing after
 * a write that rolled back — write none (behaviour.md §15, docs/audit-log.md). Over the real
 * server and Postgres, reading the table itself.
 */
import { randomBytes } from "node:crypto";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { ResourceType } from "@runnerplane/api/gitpod/v1/event_pb";
import { ResourceRole } from "@runnerplane/api/gitpod/v1/group_pb";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import { SupportedModel } from "@runnerplane/api/gitpod/v1/model_pb";
import { OrganizationRole } from "@runnerplane/api/gitpod/v1/organization_pb";
import { HostAuthenticationTokenSource, RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { RunnerRole } from "@runnerplane/api/gitpod/v1/runner_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbAuditEntry } from "../db/audit-log.js";
import { type Clients, clientsFor } from "../testing/access-matrix.js";
import {
  callError,
  createTestRunner,
  expectNoPlaintext,
  type SeededOrganization,
  seedGroup,
  seedMember,
  seedOrganization,
  startTestServer,
  type TestRunner,
  type TestServer,
} from "../testing/index.js";
import { startTestIdp, type TestIdp } from "../testing/oidc-provider.js";
import { unknownId } from "../testing/tenancy-server.js";

let server: TestServer;
let org: SeededOrganization;
let admin: Clients;
let member: Clients;
let robot: Clients;
let runner: TestRunner;
/** Every secret value a test saw, for the plaintext scan at the end. */
const secrets: string[] = [];

beforeAll(async () => {
  server = await startTestServer();
  org = await seedOrganization(server.sql, "Audited Inc");
  admin = clientsFor(server.baseUrl, org.admin.token);
  member = clientsFor(server.baseUrl, org.member.token);
  robot = clientsFor(server.baseUrl, org.serviceAccount.token);
  runner = await createTestRunner(server.baseUrl, org.admin.token);
  secrets.push(org.admin.token, org.member.token, org.serviceAccount.token, runner.token);
});
afterAll(() => server.close());

const secret = (prefix: string) => {
  const value = `${prefix}-${randomBytes(12).toString("hex")}`;
  secrets.push(value);
  return value;
};

/** The entries written while `call` ran (tests in a file run one after another). */
async function entriesOf(call: () => Promise<unknown>): Promise<DbAuditEntry[]> {
  const before = await server.sql<{ id: string }[]>`select id from audit_log`;
  const seen = new Set(before.map((r) => r.id));
  await call();
  const after = await server.sql<DbAuditEntry[]>`select * from audit_log order by created_at, id`;
  return after.filter((r) => !seen.has(r.id));
}

/** Runs a mutation and returns its one entry, failing unless there is exactly one. */
async function theEntryOf(call: () => Promise<unknown>): Promise<DbAuditEntry> {
  const entries = await entriesOf(call);
  expect(entries, entries.map((e) => e.action).join(", ")).toHaveLength(1);
  return entries[0] as DbAuditEntry;
}

/** Runs a call that must fail with `code` and returns the entries it wrote (must be none). */
async function entriesOfFailure(call: () => Promise<unknown>, code: Code): Promise<DbAuditEntry[]> {
  return entriesOf(async () => expect((await callError(call())).code).toBe(code));
}

const byAdmin = () => ({
  actor_principal: "user",
  actor_id: org.admin.member.id,
  organization_id: org.organization.id,
});

describe("RunnerService", () => {
  it("records CreateRunner with the caller, the new runner and the request it came in", async () => {
    let runnerId = "";
    const entry = await theEntryOf(async () => {
      const created = await admin.runners.createRunner({ name: "audited fleet", provider: RunnerProvider.AWS_EC2 });
      runnerId = created.runner?.runnerId as string;
      secrets.push(created.exchangeToken, created.accessToken);
    });
    expect(entry).toMatchObject({
      ...byAdmin(),
      action: "gitpod.v1.RunnerService/CreateRunner",
      subject_type: ResourceType.RUNNER,
      subject_id: runnerId,
      kind: 3, // RESOURCE_CHANGE
    });
    expect(entry.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(entry.client_address).toMatch(/127\.0\.0\.1$/);
    expect(entry.user_agent).toContain("connect-es");
  });

  it("records updates, tokens, policies and the delete of a runner, one entry each", async () => {
    const { runner: created } = await admin.runners.createRunner({ name: "to change", provider: RunnerProvider.GCP });
    const runnerId = created?.runnerId as string;
    const group = await seedGroup(server.sql, org.organization.id, "auditors", []);
    const onRunner = { ...byAdmin(), subject_type: ResourceType.RUNNER, subject_id: runnerId };
    const action = (m: string) => `gitpod.v1.RunnerService/${m}`;

    expect(await theEntryOf(() => admin.runners.updateRunner({ runnerId, name: "changed" }))).toMatchObject({
      ...onRunner,
      action: action("UpdateRunner"),
    });
    expect(
      await theEntryOf(async () => {
        const t = await admin.runners.createRunnerToken({ runnerId });
        secrets.push(t.exchangeToken, t.accessToken);
      }),
    ).toMatchObject({ ...onRunner, action: action("CreateRunnerToken") });
    expect(
      await theEntryOf(async () => {
        secrets.push((await admin.runners.createRunnerLogsToken({ runnerId })).accessToken);
      }),
    ).toMatchObject({ ...onRunner, action: action("CreateRunnerLogsToken") });

    let policyId = "";
    const created_ = await theEntryOf(async () => {
      await admin.runners.createRunnerPolicy({ runnerId, groupId: group.id, role: RunnerRole.USER });
      [{ id: policyId }] =
        (await server.sql`select id from runner_policies where runner_id = ${runnerId}`) as unknown as [{ id: string }];
    });
    const onPolicy = { ...byAdmin(), subject_type: ResourceType.ROLE_ASSIGNMENT, subject_id: policyId };
    expect(created_).toMatchObject({ ...onPolicy, action: action("CreateRunnerPolicy") });
    expect(
      await theEntryOf(() => admin.runners.updateRunnerPolicy({ runnerId, groupId: group.id, role: RunnerRole.ADMIN })),
    ).toMatchObject({ ...onPolicy, action: action("UpdateRunnerPolicy") });
    expect(await theEntryOf(() => admin.runners.deleteRunnerPolicy({ runnerId, groupId: group.id }))).toMatchObject({
      ...onPolicy,
      action: action("DeleteRunnerPolicy"),
    });
    expect(await theEntryOf(() => admin.runners.deleteRunner({ runnerId }))).toMatchObject({
      ...onRunner,
      action: action("DeleteRunner"),
    });
  });

  it("records nothing for calls refused by validation, permission or a missing runner", async () => {
    expect(
      await entriesOfFailure(
        () => admin.runners.createRunner({ name: "x", provider: RunnerProvider.AWS_EC2 }),
        Code.InvalidArgument,
      ),
    ).toEqual([]);
    expect(
      await entriesOfFailure(
        () => member.runners.createRunner({ name: "not mine", provider: RunnerProvider.AWS_EC2 }),
        Code.PermissionDenied,
      ),
    ).toEqual([]);
    expect(
      await entriesOfFailure(() => member.runners.deleteRunner({ runnerId: runner.runnerId }), Code.PermissionDenied),
    ).toEqual([]);
    expect(
      await entriesOfFailure(() => admin.runners.updateRunner({ runnerId: unknownId, name: "gone" }), Code.NotFound),
    ).toEqual([]);
    expect(
      await entriesOfFailure(
        () =>
          admin.runners.createRunnerPolicy({ runnerId: runner.runnerId, groupId: unknownId, role: RunnerRole.USER }),
        Code.NotFound,
      ),
    ).toEqual([]);
  });

  it("records nothing, and keeps nothing, when the write itself fails (a second LOCAL_CONFIGURATION runner)", async () => {
    await admin.runners.createRunner({ name: "local config", kind: 3 /* LOCAL_CONFIGURATION */ });
    const runnersBefore = await server.sql`select id from runners`;
    expect(
      await entriesOfFailure(() => admin.runners.createRunner({ name: "local config 2", kind: 3 }), Code.AlreadyExists),
    ).toEqual([]);
    expect(await server.sql`select id from runners`).toHaveLength(runnersBefore.length);
  });
});

describe("RunnerConfigurationService", () => {
  const action = (m: string) => `gitpod.v1.RunnerConfigurationService/${m}`;

  it("records environment class and SCM integration changes with their ids", async () => {
    let classId = "";
    expect(
      await theEntryOf(async () => {
        ({ id: classId } = await admin.configuration.createEnvironmentClass({
          runnerId: runner.runnerId,
          displayName: "Standard",
          description: "4 cores",
          configuration: [
            { key: "cpu", value: "4" },
            { key: "memory", value: "8192" },
          ],
        }));
      }),
    ).toMatchObject({
      ...byAdmin(),
      action: action("CreateEnvironmentClass"),
      subject_type: ResourceType.ENVIRONMENT_CLASS,
    });
    expect((await server.sql`select subject_id from audit_log where subject_id = ${classId}`).length).toBe(1);
    expect(
      await theEntryOf(() =>
        admin.configuration.updateEnvironmentClass({ environmentClassId: classId, enabled: false }),
      ),
    ).toMatchObject({ action: action("UpdateEnvironmentClass"), subject_id: classId });

    let scmId = "";
    const clientSecret = secret("oauth-secret");
    expect(
      await theEntryOf(async () => {
        ({ id: scmId } = await admin.configuration.createSCMIntegration({
          runnerId: runner.runnerId,
          scmId: "github",
          host: "github.audit.example",
          oauthClientId: "client",
          oauthPlaintextClientSecret: clientSecret,
          pat: true,
        }));
      }),
    ).toMatchObject({
      ...byAdmin(),
      action: action("CreateSCMIntegration"),
      subject_type: ResourceType.RUNNER_SCM_INTEGRATION,
    });
    expect(await theEntryOf(() => admin.configuration.updateSCMIntegration({ id: scmId, pat: false }))).toMatchObject({
      action: action("UpdateSCMIntegration"),
      subject_id: scmId,
    });
    expect(await theEntryOf(() => admin.configuration.deleteSCMIntegration({ id: scmId }))).toMatchObject({
      action: action("DeleteSCMIntegration"),
      subject_id: scmId,
    });
  });

  it("records a host token's create, update and delete, never its value", async () => {
    let tokenId = "";
    expect(
      await theEntryOf(async () => {
        const { token } = await member.configuration.createHostAuthenticationToken({
          runnerId: runner.runnerId,
          host: "gitlab.audit.example",
          token: secret("host-token"),
          refreshToken: secret("refresh"),
          source: HostAuthenticationTokenSource.PAT,
        });
        tokenId = token?.id as string;
      }),
    ).toMatchObject({
      actor_principal: "user",
      actor_id: org.member.member.id,
      action: action("CreateHostAuthenticationToken"),
      subject_type: ResourceType.HOST_AUTHENTICATION_TOKEN,
    });
    expect(
      await theEntryOf(() =>
        member.configuration.updateHostAuthenticationToken({ id: tokenId, token: secret("rotated") }),
      ),
    ).toMatchObject({ action: action("UpdateHostAuthenticationToken"), subject_id: tokenId });
    expect(await theEntryOf(() => member.configuration.deleteHostAuthenticationToken({ id: tokenId }))).toMatchObject({
      action: action("DeleteHostAuthenticationToken"),
      subject_id: tokenId,
    });
  });

  it("records nothing when an update fails after its first writes: they roll back with it", async () => {
    const { id } = await admin.configuration.createSCMIntegration({
      runnerId: runner.runnerId,
      scmId: "github",
      host: "rollback.audit.example",
      pat: true,
    });
    await member.configuration.createHostAuthenticationToken({
      runnerId: runner.runnerId,
      host: "rollback.audit.example",
      token: secret("pat"),
      source: HostAuthenticationTokenSource.PAT,
    });
    // pat = false deletes the PAT tokens first; the virtual directory (azuredevops only) then fails.
    expect(
      await entriesOfFailure(
        () => admin.configuration.updateSCMIntegration({ id, pat: false, virtualDirectory: "dir" }),
        Code.InvalidArgument,
      ),
    ).toEqual([]);
    expect(
      await server.sql`select id from host_authentication_tokens where host = 'rollback.audit.example'`,
    ).toHaveLength(1);
  });

  it("records nothing for a member's refused change or an invalid class", async () => {
    expect(
      await entriesOfFailure(
        () =>
          member.configuration.createSCMIntegration({
            runnerId: runner.runnerId,
            scmId: "github",
            host: "x.example",
            pat: true,
          }),
        Code.PermissionDenied,
      ),
    ).toEqual([]);
    expect(
      await entriesOfFailure(
        () =>
          admin.configuration.createEnvironmentClass({
            runnerId: runner.runnerId,
            displayName: "Bad",
            description: "no cpu",
            configuration: [{ key: "memory", value: "1" }],
          }),
        Code.InvalidArgument,
      ),
    ).toEqual([]);
  });
});

describe("the runner's own calls", () => {
  const asRunner = (id: string) => ({
    actor_principal: "runner",
    actor_id: id,
    subject_type: ResourceType.RUNNER,
    subject_id: id,
  });

  it("records ExchangeToken, Signup, MarkRunnerActive and a reported schema with the runner as actor", async () => {
    const created = await admin.runners.createRunner({ name: "newcomer", provider: RunnerProvider.AWS_EC2 });
    const id = created.runner?.runnerId as string;
    secrets.push(created.exchangeToken, created.accessToken);
    let token = "";
    expect(
      await theEntryOf(async () => {
        ({ accessToken: token } = await clientsFor(server.baseUrl, "").identity.exchangeToken({
          exchangeToken: created.exchangeToken,
        }));
      }),
    ).toMatchObject({
      ...asRunner(id),
      organization_id: org.organization.id,
      action: "gitpod.v1.IdentityService/ExchangeToken",
    });
    secrets.push(token);
    const self = clientsFor(server.baseUrl, token);
    expect(await theEntryOf(() => self.interaction.signup({ publicKey: new Uint8Array(32).fill(7) }))).toMatchObject({
      ...asRunner(id),
      action: "gitpod.v1.RunnerInteractionService/Signup",
    });
    expect(await theEntryOf(() => self.interaction.markRunnerActive({ runnerId: id }))).toMatchObject({
      ...asRunner(id),
      action: "gitpod.v1.RunnerInteractionService/MarkRunnerActive",
    });
    expect(
      await theEntryOf(() =>
        self.interaction.updateRunnerConfigurationSchema({ runnerId: id, configSchema: { version: "v1" } }),
      ),
    ).toMatchObject({ ...asRunner(id), action: "gitpod.v1.RunnerInteractionService/UpdateRunnerConfigurationSchema" });
    // A heartbeat is no change worth an entry (audit/audited-methods.ts).
    expect(await entriesOf(() => self.interaction.updateRunnerStatus({ runnerId: id, version: "1" }))).toEqual([]);
    // A spent exchange token: refused, nothing recorded.
    expect(
      await entriesOfFailure(
        () => clientsFor(server.baseUrl, "").identity.exchangeToken({ exchangeToken: created.exchangeToken }),
        Code.Unauthenticated,
      ),
    ).toEqual([]);
  });

  it("records a host token the runner creates for a user, with the runner as actor", async () => {
    const entry = await theEntryOf(() =>
      runner.clients.configuration.createHostAuthenticationToken({
        runnerId: runner.runnerId,
        host: "oauth.audit.example",
        token: secret("oauth-token"),
        source: HostAuthenticationTokenSource.OAUTH,
        subject: { id: org.member.member.id, principal: Principal.USER },
      }),
    );
    expect(entry).toMatchObject({
      actor_principal: "runner",
      actor_id: runner.runnerId,
      action: "gitpod.v1.RunnerConfigurationService/CreateHostAuthenticationToken",
      subject_type: ResourceType.HOST_AUTHENTICATION_TOKEN,
    });
  });

  it("records the runner's refresh of a user's OAuth token, with the runner as actor", async () => {
    const { token } = await runner.clients.configuration.createHostAuthenticationToken({
      runnerId: runner.runnerId,
      host: "refresh.audit.example",
      token: secret("oauth-token"),
      refreshToken: secret("oauth-refresh"),
      source: HostAuthenticationTokenSource.OAUTH,
      subject: { id: org.member.member.id, principal: Principal.USER },
    });
    const id = token?.id as string;
    expect(
      await theEntryOf(() =>
        runner.clients.configuration.updateHostAuthenticationToken({
          id,
          token: secret("refreshed"),
          refreshToken: secret("refreshed-refresh"),
          expiresAt: timestampFromDate(new Date(Date.now() + 3_600_000)),
        }),
      ),
    ).toMatchObject({
      actor_principal: "runner",
      actor_id: runner.runnerId,
      action: "gitpod.v1.RunnerConfigurationService/UpdateHostAuthenticationToken",
      subject_type: ResourceType.HOST_AUTHENTICATION_TOKEN,
      subject_id: id,
    });
  });
});

describe("UserService and OrganizationService", () => {
  it("records suspension, role changes, the organization's rename and personal access tokens", async () => {
    const user = await seedMember(server.sql, org.organization.id, { name: "Sam" });
    secrets.push(user.token);
    const onUser = { ...byAdmin(), subject_type: ResourceType.USER, subject_id: user.member.id };
    expect(await theEntryOf(() => admin.users.setSuspended({ userId: user.member.id, suspended: true }))).toMatchObject(
      {
        ...onUser,
        action: "gitpod.v1.UserService/SetSuspended",
      },
    );
    expect(
      await theEntryOf(() =>
        admin.organization.setRole({
          organizationId: org.organization.id,
          userId: user.member.id,
          role: OrganizationRole.ADMIN,
        }),
      ),
    ).toMatchObject({ ...onUser, action: "gitpod.v1.OrganizationService/SetRole" });
    expect(
      await theEntryOf(() =>
        admin.organization.updateOrganization({ organizationId: org.organization.id, name: "Audited Ltd" }),
      ),
    ).toMatchObject({
      ...byAdmin(),
      action: "gitpod.v1.OrganizationService/UpdateOrganization",
      subject_type: ResourceType.ORGANIZATION,
      subject_id: org.organization.id,
    });

    const created = await theEntryOf(async () => {
      secrets.push(
        (await admin.users.createPersonalAccessToken({ userId: org.admin.member.id, description: "ci" })).token,
      );
    });
    expect(created).toMatchObject({
      ...byAdmin(),
      action: "gitpod.v1.UserService/CreatePersonalAccessToken",
      subject_type: ResourceType.PERSONAL_ACCESS_TOKEN,
    });
    expect(
      await theEntryOf(() =>
        admin.users.deletePersonalAccessToken({ personalAccessTokenId: created.subject_id as string }),
      ),
    ).toMatchObject({ action: "gitpod.v1.UserService/DeletePersonalAccessToken", subject_id: created.subject_id });
  });

  it("records nothing for a refused suspension or the last admin's demotion", async () => {
    expect(
      await entriesOfFailure(
        () => member.users.setSuspended({ userId: org.admin.member.id, suspended: true }),
        Code.PermissionDenied,
      ),
    ).toEqual([]);
    expect(
      await entriesOfFailure(
        () => admin.users.setSuspended({ userId: org.admin.member.id, suspended: true }),
        Code.FailedPrecondition,
      ),
    ).toEqual([]);
    const solo = await seedOrganization(server.sql, "Solo");
    const soloAdmin = clientsFor(server.baseUrl, solo.admin.token);
    expect(
      await entriesOfFailure(
        () =>
          soloAdmin.organization.setRole({
            organizationId: solo.organization.id,
            userId: solo.admin.member.id,
            role: OrganizationRole.MEMBER,
          }),
        Code.FailedPrecondition,
      ),
    ).toEqual([]);
  });
});

describe("GroupService", () => {
  const action = (m: string) => `gitpod.v1.GroupService/${m}`;

  it("records groups, memberships and role assignments", async () => {
    let groupId = "";
    expect(
      await theEntryOf(async () => {
        ({
          group: { id: groupId } = { id: "" },
        } = await admin.groups.createGroup({
          organizationId: org.organization.id,
          name: "platform",
        }));
      }),
    ).toMatchObject({ ...byAdmin(), action: action("CreateGroup"), subject_type: ResourceType.GROUP });
    expect(
      await theEntryOf(() => admin.groups.updateGroup({ groupId, name: "platform team", description: "" })),
    ).toMatchObject({
      action: action("UpdateGroup"),
      subject_id: groupId,
    });
    let membershipId = "";
    expect(
      await theEntryOf(async () => {
        const { member: m } = await admin.groups.createMembership({
          groupId,
          subject: { id: org.member.member.id, principal: Principal.USER },
        });
        membershipId = m?.id as string;
      }),
    ).toMatchObject({ action: action("CreateMembership"), subject_type: ResourceType.GROUP_MEMBERSHIP_CHANGED });
    expect((await server.sql`select 1 from audit_log where subject_id = ${membershipId}`).length).toBe(1);
    expect(await theEntryOf(() => admin.groups.deleteMembership({ membershipId }))).toMatchObject({
      action: action("DeleteMembership"),
      subject_id: membershipId,
    });
    let assignmentId = "";
    expect(
      await theEntryOf(async () => {
        const { assignment } = await admin.groups.createRoleAssignment({
          groupId,
          resourceType: ResourceType.RUNNER,
          resourceId: runner.runnerId,
          resourceRole: ResourceRole.RUNNER_USER,
        });
        assignmentId = assignment?.id as string;
      }),
    ).toMatchObject({ action: action("CreateRoleAssignment"), subject_type: ResourceType.ROLE_ASSIGNMENT });
    expect(await theEntryOf(() => admin.groups.deleteRoleAssignment({ assignmentId }))).toMatchObject({
      action: action("DeleteRoleAssignment"),
      subject_id: assignmentId,
    });
    expect(await theEntryOf(() => admin.groups.deleteGroup({ groupId }))).toMatchObject({
      action: action("DeleteGroup"),
      subject_id: groupId,
    });
  });

  it("records nothing for a duplicate name or a member's attempt", async () => {
    await admin.groups.createGroup({ organizationId: org.organization.id, name: "unique" });
    expect(
      await entriesOfFailure(
        () => admin.groups.createGroup({ organizationId: org.organization.id, name: "unique" }),
        Code.AlreadyExists,
      ),
    ).toEqual([]);
    expect(
      await entriesOfFailure(
        () => member.groups.createGroup({ organizationId: org.organization.id, name: "mine" }),
        Code.PermissionDenied,
      ),
    ).toEqual([]);
  });
});

describe("ServiceAccountService", () => {
  const action = (m: string) => `gitpod.v1.ServiceAccountService/${m}`;

  it("records service accounts and their tokens, the token's own call with the account as actor", async () => {
    let accountId = "";
    const validUntil = timestampFromDate(new Date(Date.now() + 30 * 86_400_000));
    expect(
      await theEntryOf(async () => {
        const { serviceAccount } = await admin.serviceAccounts.createServiceAccount({ name: "deployer", validUntil });
        accountId = serviceAccount?.id as string;
      }),
    ).toMatchObject({
      ...byAdmin(),
      action: action("CreateServiceAccount"),
      subject_type: ResourceType.SERVICE_ACCOUNT,
    });
    expect(
      await theEntryOf(() =>
        admin.serviceAccounts.updateServiceAccount({ serviceAccountId: accountId, name: "deployer 2" }),
      ),
    ).toMatchObject({ action: action("UpdateServiceAccount"), subject_id: accountId });

    let tokenId = "";
    expect(
      await theEntryOf(async () => {
        const created = await robot.serviceAccounts.createServiceAccountToken({ description: "ci" });
        secrets.push(created.token);
        tokenId = created.serviceAccountToken?.id as string;
      }),
    ).toMatchObject({
      actor_principal: "service_account",
      actor_id: org.serviceAccount.member.id,
      action: action("CreateServiceAccountToken"),
      subject_type: ResourceType.SERVICE_ACCOUNT_TOKEN,
    });
    expect(
      await theEntryOf(() => robot.serviceAccounts.deleteServiceAccountToken({ serviceAccountTokenId: tokenId })),
    ).toMatchObject({
      action: action("DeleteServiceAccountToken"),
      subject_id: tokenId,
    });
    expect(
      await theEntryOf(() => admin.serviceAccounts.deleteServiceAccount({ serviceAccountId: accountId })),
    ).toMatchObject({
      action: action("DeleteServiceAccount"),
      subject_id: accountId,
    });
  });

  it("records nothing for a member's attempt or a validity already over", async () => {
    const validUntil = timestampFromDate(new Date(Date.now() + 86_400_000));
    expect(
      await entriesOfFailure(
        () => member.serviceAccounts.createServiceAccount({ name: "no", validUntil }),
        Code.PermissionDenied,
      ),
    ).toEqual([]);
    expect(
      await entriesOfFailure(
        () =>
          admin.serviceAccounts.createServiceAccount({ name: "late", validUntil: timestampFromDate(new Date(1000)) }),
        Code.InvalidArgument,
      ),
    ).toEqual([]);
  });
});

describe("LLM integrations", () => {
  const action = (m: string) => `gitpod.v1.RunnerConfigurationService/${m}`;

  it("records create, update and delete with the integration's id, never the API key", async () => {
    let id = "";
    expect(
      await theEntryOf(async () => {
        ({ id } = await admin.configuration.createLLMIntegration({
          runnerId: runner.runnerId,
          models: [SupportedModel.SONNET_4_5],
          endpoint: "https://llm.audit.example/v1",
          apiKey: secret("sk-ant-audit"),
        }));
      }),
    ).toMatchObject({
      ...byAdmin(),
      action: action("CreateLLMIntegration"),
      subject_type: ResourceType.RUNNER_LLM_INTEGRATION,
    });
    const [created] =
      await server.sql`select subject_id from audit_log where action = ${action("CreateLLMIntegration")}`;
    expect(created?.subject_id).toBe(id);
    expect(
      await theEntryOf(() => admin.configuration.updateLLMIntegration({ id, apiKey: secret("sk-ant-rotated") })),
    ).toMatchObject({ ...byAdmin(), action: action("UpdateLLMIntegration"), subject_id: id });
    // A member may read, not change: refused, nothing recorded.
    expect(
      await entriesOfFailure(() => member.configuration.deleteLLMIntegration({ id }), Code.PermissionDenied),
    ).toEqual([]);
    expect(await theEntryOf(() => admin.configuration.deleteLLMIntegration({ id }))).toMatchObject({
      action: action("DeleteLLMIntegration"),
      subject_id: id,
    });
    expect(await entriesOfFailure(() => admin.configuration.deleteLLMIntegration({ id }), Code.NotFound)).toEqual([]);
  });
});

describe("SSO configurations", () => {
  const action = (m: string) => `gitpod.v1.OrganizationService/${m}`;
  let idp: TestIdp;
  beforeAll(async () => {
    idp = await startTestIdp({ redirectUri: "http://localhost:8080/auth/oidc/callback" });
  });
  afterAll(() => idp?.close());

  it("records create, update and delete with the configuration's id, never the client secret", async () => {
    let id = "";
    const clientSecret = idp.clientSecret;
    secrets.push(clientSecret);
    expect(
      await theEntryOf(async () => {
        const { ssoConfiguration } = await admin.organization.createSSOConfiguration({
          organizationId: org.organization.id,
          issuerUrl: idp.issuer,
          clientId: idp.clientId,
          clientSecret,
          emailDomains: ["audited.test"],
        });
        id = ssoConfiguration?.id as string;
      }),
    ).toMatchObject({ ...byAdmin(), action: action("CreateSSOConfiguration"), subject_type: ResourceType.SSO_CONFIG });
    expect(
      await theEntryOf(() => admin.organization.updateSSOConfiguration({ ssoConfigurationId: id, displayName: "IdP" })),
    ).toMatchObject({ action: action("UpdateSSOConfiguration"), subject_id: id });
    expect(
      await entriesOfFailure(
        () => member.organization.deleteSSOConfiguration({ ssoConfigurationId: id }),
        Code.PermissionDenied,
      ),
    ).toEqual([]);
    expect(await theEntryOf(() => admin.organization.deleteSSOConfiguration({ ssoConfigurationId: id }))).toMatchObject(
      { action: action("DeleteSSOConfiguration"), subject_id: id },
    );
  });
});

describe("an admin's token for a service account", () => {
  it("records CreateServiceAccountAccessToken with the admin as actor and the token's id", async () => {
    let value = "";
    const entry = await theEntryOf(async () => {
      ({ token: value } = await admin.serviceAccounts.createServiceAccountAccessToken({
        serviceAccountId: org.serviceAccount.member.id,
      }));
    });
    secrets.push(value);
    expect(entry).toMatchObject({
      ...byAdmin(),
      action: "gitpod.v1.ServiceAccountService/CreateServiceAccountAccessToken",
      subject_type: ResourceType.SERVICE_ACCOUNT_TOKEN,
    });
    const [row] = await server.sql`select subject_id from tokens where id = ${entry.subject_id}`;
    expect(row?.subject_id).toBe(org.serviceAccount.member.id);
    expect(
      await entriesOfFailure(
        () =>
          member.serviceAccounts.createServiceAccountAccessToken({ serviceAccountId: org.serviceAccount.member.id }),
        Code.PermissionDenied,
      ),
    ).toEqual([]);
  });
});

describe("signing in with a token and out", () => {
  const signIn = (token: string) =>
    fetch(`${server.baseUrl}/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://localhost:8080", "user-agent": "audit-test" },
      body: JSON.stringify({ token }),
    });

  it("records the sign-in and the sign-out with the user as actor, and no session or token value", async () => {
    let session = "";
    const signedIn = await theEntryOf(async () => {
      const res = await signIn(org.member.token);
      expect(res.status).toBe(200);
      session = res.headers.getSetCookie()[0]?.split(";", 1)[0] as string;
    });
    secrets.push(session.slice(session.indexOf("=") + 1));
    const asMember = {
      organization_id: org.organization.id,
      actor_principal: "user",
      actor_id: org.member.member.id,
      subject_type: ResourceType.USER,
      subject_id: org.member.member.id,
      user_agent: "audit-test",
    };
    expect(signedIn).toMatchObject({ ...asMember, action: "auth/sign-in" });
    const signedOut = await theEntryOf(async () => {
      const res = await fetch(`${server.baseUrl}/auth/logout`, {
        method: "POST",
        headers: { origin: "http://localhost:8080", cookie: session, "user-agent": "audit-test" },
      });
      expect(res.status).toBe(204);
    });
    expect(signedOut).toMatchObject({ ...asMember, action: "auth/sign-out" });
    // Signing out of an ended session changes nothing: no entry.
    expect(
      await entriesOf(() =>
        fetch(`${server.baseUrl}/auth/logout`, {
          method: "POST",
          headers: { origin: "http://localhost:8080", cookie: session },
        }),
      ),
    ).toEqual([]);
  });

  it("records a refused sign-in under the token's org, naming whom it names, never the token", async () => {
    // A service account's token is refused (sessions are for people).
    const refused = await theEntryOf(async () => expect((await signIn(org.serviceAccount.token)).status).toBe(401));
    expect(refused).toMatchObject({
      organization_id: org.organization.id,
      actor_principal: "service_account",
      actor_id: org.serviceAccount.member.id,
      action: "auth/sign-in-failed",
    });
    // A token no one issued names no org: nothing to file it under.
    const unknown = secret("rp_pat_unknown");
    expect(await entriesOf(async () => expect((await signIn(unknown)).status).toBe(401))).toEqual([]);
    // Over the API, the unknown and the CLI are both UNSPECIFIED; the failure is visible to admins.
    const { entries } = await admin.events.listAuditLogs({ filter: { subjectIds: [org.serviceAccount.member.id] } });
    expect(entries.map((e) => e.action)).toContain("auth/sign-in-failed");
  });
});

describe("the audit_log table", () => {
  it("holds no token or secret value any test above created", async () => {
    const rows = await server.sql`select * from audit_log`;
    expect(rows.length).toBeGreaterThan(20);
    expectNoPlaintext(rows, secrets);
  });

  it("refuses UPDATE, DELETE and TRUNCATE outside the pruner", async () => {
    await expect(server.sql`update audit_log set action = 'forged'`).rejects.toThrow(/cannot be changed or deleted/);
    await expect(server.sql`delete from audit_log`).rejects.toThrow(/cannot be changed or deleted/);
    await expect(server.sql`truncate audit_log`).rejects.toThrow(/cannot be changed or deleted/);
    expect((await server.sql`select count(*)::int as n from audit_log where action = 'forged'`)[0]?.n).toBe(0);
  });
});

describe("a failure after the change was written", () => {
  /** Makes the audit insert of `action` fail, as a lost connection or full disk would. */
  async function refuseEntriesOf(action: string) {
    await server.sql`create table if not exists test_refused_actions (action text primary key)`;
    await server.sql.unsafe(`
      create or replace function test_refuse_audit() returns trigger language plpgsql as $$
      begin
        if exists (select 1 from test_refused_actions where action = new.action) then
          raise exception 'test: refusing the audit entry of %', new.action;
        end if;
        return new;
      end $$;
      drop trigger if exists test_refuse_audit on audit_log;
      create trigger test_refuse_audit before insert on audit_log for each row execute function test_refuse_audit();`);
    await server.sql`insert into test_refused_actions values (${action}) on conflict do nothing`;
  }

  it.each([
    [
      "gitpod.v1.RunnerService/CreateRunner",
      () => admin.runners.createRunner({ name: "never stored", provider: RunnerProvider.AWS_EC2 }),
      () => server.sql`select 1 from runners where name = 'never stored'`,
    ],
    [
      "gitpod.v1.RunnerConfigurationService/CreateSCMIntegration",
      () =>
        admin.configuration.createSCMIntegration({
          runnerId: runner.runnerId,
          scmId: "github",
          host: "never.audit.example",
          pat: true,
        }),
      () => server.sql`select 1 from scm_integrations where host = 'never.audit.example'`,
    ],
    [
      "gitpod.v1.OrganizationService/UpdateOrganization",
      () => admin.organization.updateOrganization({ organizationId: org.organization.id, name: "Never Renamed" }),
      () => server.sql`select 1 from organizations where name = 'Never Renamed'`,
    ],
    [
      "gitpod.v1.GroupService/CreateGroup",
      () => admin.groups.createGroup({ organizationId: org.organization.id, name: "never created" }),
      () => server.sql`select 1 from groups where name = 'never created'`,
    ],
    [
      "gitpod.v1.ServiceAccountService/CreateServiceAccount",
      () =>
        admin.serviceAccounts.createServiceAccount({
          name: "never created",
          validUntil: timestampFromDate(new Date(Date.now() + 86_400_000)),
        }),
      () => server.sql`select 1 from members where name = 'never created'`,
    ],
    [
      "gitpod.v1.UserService/CreatePersonalAccessToken",
      () => admin.users.createPersonalAccessToken({ userId: org.admin.member.id, description: "never issued" }),
      () => server.sql`select 1 from tokens where description = 'never issued'`,
    ],
    [
      "gitpod.v1.RunnerConfigurationService/CreateLLMIntegration",
      () =>
        admin.configuration.createLLMIntegration({
          runnerId: runner.runnerId,
          models: [SupportedModel.SONNET_4_5],
          endpoint: "https://never.audit.example/v1",
          apiKey: "sk-never-stored",
        }),
      () => server.sql`select 1 from llm_integrations where endpoint = 'https://never.audit.example/v1'`,
    ],
    [
      "gitpod.v1.RunnerInteractionService/UpdateRunnerConfigurationSchema",
      () =>
        runner.clients.interaction.updateRunnerConfigurationSchema({
          runnerId: runner.runnerId,
          configSchema: { version: "never saved" },
        }),
      () =>
        server.sql`select 1 from runner_configuration_schemas
                    where runner_id = ${runner.runnerId} and schema->>'version' = 'never saved'`,
    ],
  ] as const)("%s: the change rolls back with its entry, and the caller is told", async (action, call, stored) => {
    await refuseEntriesOf(action);
    expect(await entriesOfFailure(call, Code.Internal)).toEqual([]);
    expect(await stored()).toHaveLength(0);
  });
});
