/**
 * UserService, OrganizationService, GroupService and ServiceAccountService through clients
 * built from the genuine descriptors (testing/genuine-descriptors.ts: the contract's field
 * numbers, names and types, not this repository's .proto files), over the real server and
 * Postgres, in Connect binary and JSON: every method these services serve, at least once,
 * with its answer read back through the genuine descriptors.
 */
import {
  createRegistry,
  type DescMethodUnary,
  fromJson,
  type JsonObject,
  type JsonValue,
  toJson,
} from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { file_gitpod_v1_count } from "@runnerplane/api/gitpod/v1/count_pb";
import { file_gitpod_v1_event } from "@runnerplane/api/gitpod/v1/event_pb";
import { file_gitpod_v1_group } from "@runnerplane/api/gitpod/v1/group_pb";
import { file_gitpod_v1_identity } from "@runnerplane/api/gitpod/v1/identity_pb";
import { file_gitpod_v1_organization } from "@runnerplane/api/gitpod/v1/organization_pb";
import { file_gitpod_v1_pagination } from "@runnerplane/api/gitpod/v1/pagination_pb";
import { RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { file_gitpod_v1_service_account } from "@runnerplane/api/gitpod/v1/service_account_pb";
import { file_gitpod_v1_user } from "@runnerplane/api/gitpod/v1/user_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { genuineRegistry, genuineService, wireShape } from "../testing/genuine-descriptors.js";
import {
  bearer,
  inProcessClients,
  type SeededOrganization,
  seedOrganization,
  startTestServer,
  type TestServer,
} from "../testing/index.js";

const serviceNames = ["UserService", "OrganizationService", "GroupService", "ServiceAccountService"];
const registry = genuineRegistry(serviceNames);

/** Methods of these services that other issues build (invites, joining, SSO): not called here. */
const servedElsewhere = new Set([
  "OrganizationService.JoinOrganization",
  "OrganizationService.CreateOrganizationInvite",
  "OrganizationService.GetOrganizationInvite",
  "OrganizationService.GetOrganizationInviteSummary",
  "OrganizationService.LeaveOrganization",
  "OrganizationService.CreateSSOConfiguration",
  "OrganizationService.GetSSOConfiguration",
  "OrganizationService.ListSSOConfigurations",
  "OrganizationService.DeleteSSOConfiguration",
  "OrganizationService.UpdateSSOConfiguration",
]);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

type Answer = { [key: string]: JsonValue };

/**
 * A caller speaking only the genuine descriptors: `call("GroupService.CreateGroup", {...})`
 * with the request in proto3 JSON, encoded by the genuine message; the answer decoded by the
 * genuine message and shown as proto3 JSON (contract names, enum names).
 */
function genuineCaller(token: string, binary: boolean, called: Set<string>) {
  const transport: Transport = createConnectTransport({
    baseUrl: server.baseUrl,
    httpVersion: binary ? "2" : "1.1",
    useBinaryFormat: binary,
    interceptors: [bearer(token)],
  });
  return async (name: string, request: JsonObject = {}): Promise<Answer> => {
    const [serviceName = "", methodName = ""] = name.split(".");
    const service = genuineService(registry, serviceName);
    const method = service.methods.find((m) => m.name === methodName) as DescMethodUnary | undefined;
    if (!method) throw new Error(`the genuine ${serviceName} has no ${methodName}`);
    const client = createClient(service, transport) as unknown as Record<
      string,
      (req: unknown) => Promise<Parameters<typeof toJson>[1]>
    >;
    const call = client[method.localName] as (req: unknown) => Promise<Parameters<typeof toJson>[1]>;
    const response = await call(fromJson(method.input, request, { registry }));
    called.add(name);
    return toJson(method.output, response as never, { registry, alwaysEmitImplicit: true }) as Answer;
  };
}

async function codeOf(call: Promise<unknown>): Promise<Code | "ok"> {
  try {
    await call;
    return "ok";
  } catch (error) {
    return ConnectError.from(error).code;
  }
}

const obj = (v: JsonValue | undefined) => v as Answer;
const list = (v: JsonValue | undefined) => v as Answer[];
const str = (v: JsonValue | undefined) => v as string;

describe("the genuine descriptors", () => {
  it("describe every message the four services use as the contract does, and so as ours declare them", () => {
    // Ours: the generated files (packages/api/test/wire-contract-admin.test.ts compares them with
    // the contract). A builder that misread the contract would show here, not pass vacuously.
    const ours = createRegistry(
      file_gitpod_v1_user,
      file_gitpod_v1_organization,
      file_gitpod_v1_group,
      file_gitpod_v1_service_account,
      file_gitpod_v1_event,
      file_gitpod_v1_identity,
      file_gitpod_v1_pagination,
      file_gitpod_v1_count,
    );
    let messages = 0;
    for (const genuine of registry) {
      if (genuine.kind !== "message" || !genuine.typeName.startsWith("gitpod.v1.")) continue;
      const our = ours.getMessage(genuine.typeName);
      expect(our, genuine.typeName).toBeDefined();
      expect(genuine.fields.map(wireShape), genuine.typeName).toEqual(our?.fields.map(wireShape));
      messages++;
    }
    expect(messages).toBeGreaterThan(60);
  });
});

describe.each([
  ["Connect binary (h2c)", true],
  ["Connect JSON (HTTP/1.1)", false],
])("the people services through genuine descriptors, over %s", (format, binary) => {
  const called = new Set<string>();
  let org: SeededOrganization;
  let orgId: string;
  let runnerId: string;
  const as = (token: string) => genuineCaller(token, binary, called);
  const admin = () => as(org.admin.token);

  beforeAll(async () => {
    org = await seedOrganization(server.sql, `Genuine ${format}`);
    orgId = org.organization.id;
    const created = await inProcessClients(server.sql, org.admin.token).runners.createRunner({
      name: "genuine fleet",
      provider: RunnerProvider.AWS_EC2,
    });
    runnerId = created.runner?.runnerId as string;
  });

  it("UserService: the caller, other users, suspension and personal access tokens", async () => {
    const me = await admin()("UserService.GetAuthenticatedUser");
    expect(me.user).toMatchObject({
      id: org.admin.member.id,
      organizationId: orgId,
      name: `Genuine ${format} admin`,
      status: "USER_STATUS_ACTIVE",
      avatarUrl: "",
    });
    const member = await admin()("UserService.GetUser", { userId: org.member.member.id });
    expect(member.user).toMatchObject({ id: org.member.member.id, name: `Genuine ${format} member` });

    const created = await admin()("UserService.CreatePersonalAccessToken", {
      userId: org.admin.member.id,
      description: "genuine",
      validFor: "3600s",
      readOnly: true,
    });
    const pat = str(created.token);
    expect(pat).toMatch(/^rp_pat_/);
    const listed = list(
      (await admin()("UserService.ListPersonalAccessTokens", { pagination: { pageSize: 100 } })).personalAccessTokens,
    );
    const entry = listed.find((t) => t.description === "genuine") as Answer;
    expect(entry).toMatchObject({ userId: org.admin.member.id, readOnly: true });
    expect(entry.expiresAt).toEqual(expect.any(String));
    const got = await admin()("UserService.GetPersonalAccessToken", { personalAccessTokenId: str(entry.id) });
    expect(got.pat).toMatchObject({ id: entry.id, description: "genuine", creator: { id: org.admin.member.id } });
    // Read-only, and working at once; deleted, failing at once.
    expect((await as(pat)("UserService.GetAuthenticatedUser")).user).toMatchObject({ id: org.admin.member.id });
    await admin()("UserService.DeletePersonalAccessToken", { personalAccessTokenId: str(entry.id) });
    expect(await codeOf(as(pat)("UserService.GetAuthenticatedUser"))).toBe(Code.Unauthenticated);

    await admin()("UserService.SetSuspended", { userId: org.member.member.id, suspended: true });
    expect(await codeOf(as(org.member.token)("UserService.GetAuthenticatedUser"))).toBe(Code.Unauthenticated);
    expect((await admin()("UserService.GetUser", { userId: org.member.member.id })).user).toMatchObject({
      status: "USER_STATUS_SUSPENDED",
    });
    await admin()("UserService.SetSuspended", { userId: org.member.member.id, suspended: false });
    expect(await codeOf(as(org.member.token)("UserService.GetAuthenticatedUser"))).toBe("ok");
  });

  it("OrganizationService: the organization, its members sorted and counted, and roles", async () => {
    const got = await admin()("OrganizationService.GetOrganization", { organizationId: orgId });
    expect(got.organization).toMatchObject({ id: orgId, tier: "ORGANIZATION_TIER_ENTERPRISE" });
    const updated = await admin()("OrganizationService.UpdateOrganization", {
      organizationId: orgId,
      name: `Genuine ${format} renamed`,
      inviteDomains: { domains: ["Example.COM"] },
    });
    expect(updated.organization).toMatchObject({
      name: `Genuine ${format} renamed`,
      inviteDomains: { domains: ["example.com"] },
    });

    const members = await admin()("OrganizationService.ListMembers", {
      organizationId: orgId,
      filter: { roles: ["ORGANIZATION_ROLE_ADMIN", "ORGANIZATION_ROLE_MEMBER"] },
      sort: { field: "SORT_FIELD_NAME", order: "SORT_ORDER_DESC" },
      count: { include: true },
      pagination: { pageSize: 1 },
    });
    expect(list(members.members)).toEqual([
      expect.objectContaining({
        userId: org.member.member.id,
        fullName: `Genuine ${format} member`,
        role: "ORGANIZATION_ROLE_MEMBER",
        status: "USER_STATUS_ACTIVE",
        loginProvider: "builtin",
        memberSince: expect.any(String),
      }),
    ]);
    expect(members.count).toEqual({ value: 2, relation: "COUNT_RESPONSE_RELATION_EQ" });
    expect(str(obj(members.pagination).nextToken)).not.toBe("");

    await admin()("OrganizationService.SetRole", {
      organizationId: orgId,
      userId: org.member.member.id,
      role: "ORGANIZATION_ROLE_ADMIN",
    });
    const admins = await admin()("OrganizationService.ListMembers", {
      organizationId: orgId,
      filter: { roles: ["ORGANIZATION_ROLE_ADMIN"] },
    });
    expect(list(admins.members).map((m) => m.userId)).toEqual([org.admin.member.id, org.member.member.id]);
    await admin()("OrganizationService.SetRole", {
      organizationId: orgId,
      userId: org.member.member.id,
      role: "ORGANIZATION_ROLE_MEMBER",
    });
  });

  it("GroupService: groups, memberships and role assignments on a runner", async () => {
    const created = await admin()("GroupService.CreateGroup", {
      organizationId: orgId,
      name: "genuine ops",
      description: "on call",
    });
    const group = obj(created.group);
    expect(group).toMatchObject({ organizationId: orgId, name: "genuine ops", description: "on call", memberCount: 0 });
    const groupId = str(group.id);
    expect((await admin()("GroupService.GetGroup", { name: "genuine ops" })).group).toMatchObject({ id: groupId });
    expect((await admin()("GroupService.GetGroup", { id: groupId })).group).toMatchObject({ name: "genuine ops" });
    const groups = await admin()("GroupService.ListGroups", { filter: { search: "GENUINE" } });
    expect(list(groups.groups).map((g) => g.id)).toEqual([groupId]);
    const renamed = await admin()("GroupService.UpdateGroup", { groupId, name: "genuine sre", description: "" });
    expect(renamed.group).toMatchObject({ id: groupId, name: "genuine sre", description: "" });

    const subject = { id: org.member.member.id, principal: "PRINCIPAL_USER" };
    const membership = obj((await admin()("GroupService.CreateMembership", { groupId, subject })).member);
    expect(membership).toMatchObject({ groupId, subject, name: `Genuine ${format} member` });
    expect((await admin()("GroupService.GetMembership", { groupId, subject })).member).toMatchObject({
      id: membership.id,
    });
    const memberships = await admin()("GroupService.ListMemberships", { groupId });
    expect(list(memberships.members).map((m) => m.id)).toEqual([membership.id]);

    const assignment = obj(
      (
        await admin()("GroupService.CreateRoleAssignment", {
          groupId,
          resourceType: "RESOURCE_TYPE_RUNNER",
          resourceId: runnerId,
          resourceRole: "RESOURCE_ROLE_RUNNER_ADMIN",
        })
      ).assignment,
    );
    expect(assignment).toMatchObject({
      groupId,
      organizationId: orgId,
      resourceId: runnerId,
      resourceType: "RESOURCE_TYPE_RUNNER",
      resourceRole: "RESOURCE_ROLE_RUNNER_ADMIN",
    });
    const assignments = await admin()("GroupService.ListRoleAssignments", {
      filter: { groupId, resourceTypes: ["RESOURCE_TYPE_RUNNER"] },
    });
    expect(list(assignments.assignments).map((a) => a.id)).toEqual([assignment.id]);
    await admin()("GroupService.DeleteRoleAssignment", { assignmentId: str(assignment.id) });
    await admin()("GroupService.DeleteMembership", { membershipId: str(membership.id) });
    expect(list((await admin()("GroupService.ListMemberships", { groupId })).members)).toEqual([]);
    await admin()("GroupService.DeleteGroup", { groupId });
    expect(await codeOf(admin()("GroupService.GetGroup", { id: groupId }))).toBe(Code.NotFound);
  });

  it("ServiceAccountService: accounts, an admin's first token, and the account's own tokens", async () => {
    const validUntil = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const account = obj(
      (
        await admin()("ServiceAccountService.CreateServiceAccount", {
          name: "genuine ci",
          description: "builds",
          validUntil,
        })
      ).serviceAccount,
    );
    expect(account).toMatchObject({
      organizationId: orgId,
      name: "genuine ci",
      description: "builds",
      creator: { id: org.admin.member.id, principal: "PRINCIPAL_USER" },
      suspended: false,
      systemManaged: false,
    });
    const serviceAccountId = str(account.id);
    expect(
      (await admin()("ServiceAccountService.GetServiceAccount", { serviceAccountId })).serviceAccount,
    ).toMatchObject({ id: serviceAccountId });
    const accounts = await admin()("ServiceAccountService.ListServiceAccounts", { filter: { search: "genuine ci" } });
    expect(list(accounts.serviceAccounts).map((a) => a.id)).toEqual([serviceAccountId]);
    const updated = await admin()("ServiceAccountService.UpdateServiceAccount", {
      serviceAccountId,
      description: "deploys",
    });
    expect(updated.serviceAccount).toMatchObject({ name: "genuine ci", description: "deploys" });

    const first = str(
      (await admin()("ServiceAccountService.CreateServiceAccountAccessToken", { serviceAccountId })).token,
    );
    const robot = as(first);
    const made = await robot("ServiceAccountService.CreateServiceAccountToken", {
      description: "genuine deploy",
      validFor: "60s",
    });
    const own = obj(made.serviceAccountToken);
    expect(str(made.token)).toMatch(/^rp_pat_/);
    expect(own).toMatchObject({
      serviceAccountId,
      description: "genuine deploy",
      creator: { id: serviceAccountId, principal: "PRINCIPAL_SERVICE_ACCOUNT" },
    });
    const tokens = list((await robot("ServiceAccountService.ListServiceAccountTokens")).tokens);
    expect(tokens.map((t) => t.description).sort()).toEqual(["", "genuine deploy"]);
    expect(
      (await robot("ServiceAccountService.GetServiceAccountToken", { serviceAccountTokenId: str(own.id) })).token,
    ).toMatchObject({ id: own.id, expiresAt: expect.any(String) });
    await robot("ServiceAccountService.DeleteServiceAccountToken", { serviceAccountTokenId: str(own.id) });
    expect(await codeOf(as(str(made.token))("ServiceAccountService.ListServiceAccountTokens"))).toBe(
      Code.Unauthenticated,
    );

    await admin()("ServiceAccountService.DeleteServiceAccount", { serviceAccountId });
    expect(await codeOf(robot("ServiceAccountService.ListServiceAccountTokens"))).toBe(Code.Unauthenticated);
  });

  it("called every method the four services serve", () => {
    const served = serviceNames.flatMap((s) =>
      genuineService(registry, s)
        .methods.map((m) => `${s}.${m.name}`)
        .filter((m) => !servedElsewhere.has(m)),
    );
    expect([...called].sort()).toEqual(served.sort());
  });
});
