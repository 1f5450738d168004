/**
 * GroupService over the real server and Postgres (behaviour.md §2, §3, §7, §12;
 * docs/identity.md#groups-memberships-and-role-assignments): groups, memberships and role
 * assignments on runners, each method's happy path, validation, tenancy, member vs admin,
 * keyset pages; a role assignment is a runner policy (one store, both APIs show it) and
 * grants its role on the runner; deleting a group removes its memberships and assignments.
 */
import { randomUUID } from "node:crypto";
import { type Client, Code } from "@connectrpc/connect";
import { ResourceType } from "@runnerplane/api/gitpod/v1/event_pb";
import { type GroupService, ResourceRole } from "@runnerplane/api/gitpod/v1/group_pb";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import { RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { RunnerRole, type RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { describe, expect, it } from "vitest";
import { type CallerName, callError, seedMember } from "../testing/index.js";
import { allPages, unknownId, useTenancyServer } from "../testing/tenancy-server.js";

const t = useTenancyServer();

type Groups = Client<typeof GroupService>;
type Runners = Client<typeof RunnerService>;

const groups = (token: string, binary = false): Groups => t.clients(token, binary).groups;
const runners = (token: string): Runners => t.clients(token).runners;
const as = (caller: CallerName): Groups => t.as(caller).groups;
const admin = () => as("A admin");
const orgA = () => t.fx.organizations.A;
const uniqueName = (prefix = "group") => `${prefix} ${randomUUID().slice(0, 8)}`;
const freshOrg = t.freshOrg;

async function newGroup(c: Groups = admin(), organizationId = orgA()): Promise<string> {
  const { group } = await c.createGroup({ organizationId, name: uniqueName() });
  return group?.id as string;
}

describe("CreateGroup", () => {
  it("creates a group in the caller's org, over JSON and binary", async () => {
    for (const binary of [false, true]) {
      const name = uniqueName();
      const { group } = await groups(t.fx.tokens["A admin"], binary).createGroup({
        organizationId: orgA(),
        name,
        description: "the on-call rotation",
      });
      expect(group).toMatchObject({
        organizationId: orgA(),
        name,
        description: "the on-call rotation",
        memberCount: 0,
        systemManaged: false,
        directShare: false,
      });
      expect(group?.createdAt).toBeDefined();
      expect(group?.updatedAt).toEqual(group?.createdAt);
    }
  });

  it("applies the contract's rules", async () => {
    for (const [request, message] of [
      [{ organizationId: orgA(), name: "ab" }, "name: value length must be at least 3 characters"],
      [{ organizationId: orgA(), name: "x".repeat(81) }, "name: value length must be at most 80 characters"],
      [{ organizationId: orgA(), name: "valid", description: "d".repeat(256) }, "description"],
      [{ organizationId: "nope", name: "valid" }, "organization_id: value must be a valid UUID"],
    ] as const) {
      const error = await callError(admin().createGroup(request));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toContain(message);
    }
  });

  it("refuses a second group of the same name: already_exists", async () => {
    const name = uniqueName();
    await admin().createGroup({ organizationId: orgA(), name });
    expect((await callError(admin().createGroup({ organizationId: orgA(), name }))).code).toBe(Code.AlreadyExists);
  });

  it("is for org admins; another org's or an unknown org id is not_found; a runner is refused", async () => {
    expect((await callError(as("A member").createGroup({ organizationId: orgA(), name: uniqueName() }))).code).toBe(
      Code.PermissionDenied,
    );
    for (const organizationId of [t.fx.organizations.B, unknownId]) {
      expect((await callError(admin().createGroup({ organizationId, name: uniqueName() }))).code).toBe(Code.NotFound);
    }
    expect(
      (await callError(as("A org runner itself").createGroup({ organizationId: orgA(), name: uniqueName() }))).code,
    ).toBe(Code.PermissionDenied);
  });

  it("lets an admin service account create groups", async () => {
    const org = await freshOrg();
    const robot = await seedMember(t.server.sql, org.id, {
      name: "admin robot",
      kind: "service_account",
      role: "admin",
    });
    const { group } = await groups(robot.token).createGroup({ organizationId: org.id, name: "robots" });
    expect(group?.name).toBe("robots");
  });
});

describe("GetGroup", () => {
  it("finds a group by id, by name and by the deprecated group_id, for any member", async () => {
    const name = uniqueName();
    const { group } = await admin().createGroup({ organizationId: orgA(), name });
    const id = group?.id as string;
    for (const c of [as("A member"), as("A service account"), admin()]) {
      expect((await c.getGroup({ group: { case: "id", value: id } })).group).toEqual(group);
      expect((await c.getGroup({ group: { case: "name", value: name } })).group?.id).toBe(id);
      expect((await c.getGroup({ groupId: id })).group?.id).toBe(id);
    }
  });

  it("does not find another org's group, by id or by name", async () => {
    const name = uniqueName();
    const id = (await as("B admin").createGroup({ organizationId: t.fx.organizations.B, name })).group?.id as string;
    expect((await callError(admin().getGroup({ group: { case: "id", value: id } }))).code).toBe(Code.NotFound);
    expect((await callError(admin().getGroup({ group: { case: "name", value: name } }))).code).toBe(Code.NotFound);
    expect((await callError(admin().getGroup({ group: { case: "id", value: unknownId } }))).code).toBe(Code.NotFound);
  });

  it("needs an id or a name, well formed", async () => {
    expect((await callError(admin().getGroup({}))).code).toBe(Code.InvalidArgument);
    const bad = await callError(admin().getGroup({ group: { case: "id", value: "nope" } }));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(bad.rawMessage).toBe("id: value must be a valid UUID");
    expect((await callError(admin().getGroup({ groupId: "nope" }))).code).toBe(Code.InvalidArgument);
  });
});

describe("ListGroups", () => {
  it("lists the org's groups in keyset pages, bound to the filter", async () => {
    const org = await freshOrg();
    const c = groups(org.admin.token);
    const names = ["alpha one", "beta two", "gamma three", "delta four", "alpha_five"];
    for (const name of names) await c.createGroup({ organizationId: org.id, name });
    const { items, pages } = await allPages(async (token) => {
      const r = await groups(org.member.token).listGroups({ pagination: { pageSize: 2, token } });
      return { items: r.groups, next: r.pagination?.nextToken ?? "" };
    });
    expect(pages).toBe(3);
    expect(items.map((g) => g.name).sort()).toEqual([...names].sort());

    const first = await c.listGroups({ pagination: { pageSize: 2 } });
    const reused = await callError(
      c.listGroups({
        pagination: { pageSize: 2, token: first.pagination?.nextToken as string },
        filter: { search: "a" },
      }),
    );
    expect(reused.code).toBe(Code.InvalidArgument);
  });

  it("filters by search (literal, case-insensitive), ids, and the flags no group here has", async () => {
    const org = await freshOrg();
    const c = groups(org.admin.token);
    const ids: Record<string, string> = {};
    for (const name of ["Alpha one", "beta two", "alpha_five"]) {
      ids[name] = (await c.createGroup({ organizationId: org.id, name })).group?.id as string;
    }
    const names = async (filter: Parameters<Groups["listGroups"]>[0]["filter"]) =>
      (await c.listGroups({ filter })).groups.map((g) => g.name).sort();
    expect(await names({ search: "ALPHA" })).toEqual(["Alpha one", "alpha_five"]);
    expect(await names({ search: "_" })).toEqual(["alpha_five"]);
    expect(await names({ groupIds: [ids["beta two"] as string] })).toEqual(["beta two"]);
    expect(await names({ systemManaged: true })).toEqual([]);
    expect(await names({ systemManaged: false, directShare: false })).toHaveLength(3);
    expect(await names({ directShare: true })).toEqual([]);
  });

  it("leaves out the groups assigned to a runner when asked", async () => {
    const runnerId = t.fx.runners.orgRunner;
    const assigned = await newGroup();
    const free = await newGroup();
    await admin().createRoleAssignment({
      groupId: assigned,
      resourceType: ResourceType.RUNNER,
      resourceId: runnerId,
      resourceRole: ResourceRole.RUNNER_USER,
    });
    const listed = (
      await admin().listGroups({
        filter: {
          groupIds: [assigned, free],
          excludeAssignedToResource: { resourceType: ResourceType.RUNNER, resourceId: runnerId },
        },
      })
    ).groups.map((g) => g.id);
    expect(listed).toEqual([free]);
  });

  it("never shows another org's groups", async () => {
    const bGroup = await newGroup(as("B admin"), t.fx.organizations.B);
    const { items } = await allPages(async (token) => {
      const r = await admin().listGroups({ pagination: { pageSize: 100, token } });
      return { items: r.groups, next: r.pagination?.nextToken ?? "" };
    });
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((g) => g.organizationId === orgA())).toBe(true);
    expect(items.map((g) => g.id)).not.toContain(bGroup);
  });

  it("refuses a runner principal", async () => {
    expect((await callError(as("A org runner itself").listGroups({}))).code).toBe(Code.PermissionDenied);
  });
});

describe("UpdateGroup", () => {
  it("sets name and description and moves updated_at", async () => {
    const id = await newGroup();
    const before = (await admin().getGroup({ group: { case: "id", value: id } })).group;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const name = uniqueName("renamed");
    const { group } = await admin().updateGroup({ groupId: id, name, description: "new words" });
    expect(group).toMatchObject({ id, name, description: "new words" });
    expect(group?.createdAt).toEqual(before?.createdAt);
    expect(Number(group?.updatedAt?.seconds) * 1000 + (group?.updatedAt?.nanos ?? 0) / 1e6).toBeGreaterThan(
      Number(before?.updatedAt?.seconds) * 1000 + (before?.updatedAt?.nanos ?? 0) / 1e6,
    );
    expect((await admin().getGroup({ group: { case: "id", value: id } })).group).toEqual(group);
  });

  it("refuses a name another group has, a short name, members, and another org's group", async () => {
    const taken = uniqueName();
    await admin().createGroup({ organizationId: orgA(), name: taken });
    const id = await newGroup();
    expect((await callError(admin().updateGroup({ groupId: id, name: taken }))).code).toBe(Code.AlreadyExists);
    expect((await callError(admin().updateGroup({ groupId: id, name: "ab" }))).code).toBe(Code.InvalidArgument);
    expect((await callError(as("A member").updateGroup({ groupId: id, name: uniqueName() }))).code).toBe(
      Code.PermissionDenied,
    );
    const bGroup = await newGroup(as("B admin"), t.fx.organizations.B);
    expect((await callError(admin().updateGroup({ groupId: bGroup, name: uniqueName() }))).code).toBe(Code.NotFound);
    expect((await callError(as("A member").updateGroup({ groupId: bGroup, name: uniqueName() }))).code).toBe(
      Code.NotFound,
    );
  });
});

describe("DeleteGroup", () => {
  it("deletes the group with its memberships and role assignments", async () => {
    const id = await newGroup();
    const m = await seedMember(t.server.sql, orgA(), { name: "doomed member" });
    await admin().createMembership({ groupId: id, subject: { id: m.member.id, principal: Principal.USER } });
    const { assignment } = await admin().createRoleAssignment({
      groupId: id,
      resourceType: ResourceType.RUNNER,
      resourceId: t.fx.runners.orgRunner,
      resourceRole: ResourceRole.RUNNER_ADMIN,
    });
    // Runner admin through the group, until the group goes.
    await runners(m.token).listRunnerPolicies({ runnerId: t.fx.runners.orgRunner });

    await admin().deleteGroup({ groupId: id });
    expect((await callError(admin().getGroup({ group: { case: "id", value: id } }))).code).toBe(Code.NotFound);
    const [left] = await t.server.sql<{ memberships: number; policies: number }[]>`
      select (select count(*)::int from group_members where group_id = ${id}) as memberships,
             (select count(*)::int from runner_policies where group_id = ${id}) as policies`;
    expect(left).toEqual({ memberships: 0, policies: 0 });
    const policies = await runners(t.fx.tokens["A admin"]).listRunnerPolicies({
      runnerId: t.fx.runners.orgRunner,
      pagination: { pageSize: 100 },
    });
    expect(policies.policies.map((p) => p.groupId)).not.toContain(id);
    expect((await admin().listRoleAssignments({ filter: { groupId: id } })).assignments).toEqual([]);
    expect(assignment?.id).toBeDefined();
    const denied = await callError(runners(m.token).listRunnerPolicies({ runnerId: t.fx.runners.orgRunner }));
    expect(denied.code).toBe(Code.PermissionDenied);
    expect((await callError(admin().deleteGroup({ groupId: id }))).code).toBe(Code.NotFound);
  });

  it("is for org admins; another org's group is not_found", async () => {
    const id = await newGroup();
    expect((await callError(as("A member").deleteGroup({ groupId: id }))).code).toBe(Code.PermissionDenied);
    const bGroup = await newGroup(as("B admin"), t.fx.organizations.B);
    expect((await callError(admin().deleteGroup({ groupId: bGroup }))).code).toBe(Code.NotFound);
    expect((await callError(admin().deleteGroup({ groupId: "nope" }))).code).toBe(Code.InvalidArgument);
    await as("B admin").getGroup({ group: { case: "id", value: bGroup } });
  });
});

describe("memberships", () => {
  it("adds users and service accounts of the org, gets, lists and removes them", async () => {
    const id = await newGroup();
    const user = await seedMember(t.server.sql, orgA(), { name: "Grace Hopper" });
    const robot = await seedMember(t.server.sql, orgA(), { name: "Deploy robot", kind: "service_account" });
    const { member } = await admin().createMembership({
      groupId: id,
      subject: { id: user.member.id, principal: Principal.USER },
    });
    expect(member).toMatchObject({
      groupId: id,
      subject: { id: user.member.id, principal: Principal.USER },
      name: "Grace Hopper",
      avatarUrl: "",
    });
    const added = await groups(t.fx.tokens["A admin"], true).createMembership({
      groupId: id,
      subject: { id: robot.member.id, principal: Principal.SERVICE_ACCOUNT },
    });
    expect(added.member?.subject?.principal).toBe(Principal.SERVICE_ACCOUNT);
    expect((await admin().getGroup({ group: { case: "id", value: id } })).group?.memberCount).toBe(2);

    // Any member reads them.
    const got = await as("A member").getMembership({
      groupId: id,
      subject: { id: user.member.id, principal: Principal.USER },
    });
    expect(got.member).toEqual(member);
    const listed = await as("A service account").listMemberships({ groupId: id });
    expect(listed.members.map((m) => m.name).sort()).toEqual(["Deploy robot", "Grace Hopper"]);
    expect((await admin().listMemberships({ groupId: id, filter: { search: "GRACE" } })).members).toEqual([member]);

    await admin().deleteMembership({ membershipId: member?.id as string });
    expect(
      (
        await callError(
          admin().getMembership({ groupId: id, subject: { id: user.member.id, principal: Principal.USER } }),
        )
      ).code,
    ).toBe(Code.NotFound);
    expect((await callError(admin().deleteMembership({ membershipId: member?.id as string }))).code).toBe(
      Code.NotFound,
    );
    expect((await admin().getGroup({ group: { case: "id", value: id } })).group?.memberCount).toBe(1);
  });

  it("refuses another org's member, the wrong principal, a duplicate, and a malformed subject", async () => {
    const id = await newGroup();
    const b = await seedMember(t.server.sql, t.fx.organizations.B, { name: "B person" });
    const user = await seedMember(t.server.sql, orgA(), { name: "A person" });
    const create = (subjectId: string, principal: Principal) =>
      callError(admin().createMembership({ groupId: id, subject: { id: subjectId, principal } }));
    expect((await create(b.member.id, Principal.USER)).code).toBe(Code.NotFound);
    expect((await create(unknownId, Principal.USER)).code).toBe(Code.NotFound);
    // A user named as a service account is not found as one.
    expect((await create(user.member.id, Principal.SERVICE_ACCOUNT)).code).toBe(Code.NotFound);
    expect((await create(t.fx.runners.orgRunner, Principal.RUNNER)).code).toBe(Code.InvalidArgument);
    expect((await create("nope", Principal.USER)).code).toBe(Code.InvalidArgument);
    expect((await callError(admin().createMembership({ groupId: id }))).code).toBe(Code.InvalidArgument);
    await admin().createMembership({ groupId: id, subject: { id: user.member.id, principal: Principal.USER } });
    expect((await create(user.member.id, Principal.USER)).code).toBe(Code.AlreadyExists);
    expect((await callError(admin().getMembership({ groupId: id }))).code).toBe(Code.InvalidArgument);
  });

  it("are changed by org admins only; another org's group and memberships are not_found", async () => {
    const id = await newGroup();
    const user = await seedMember(t.server.sql, orgA(), { name: "A someone" });
    const subject = { id: user.member.id, principal: Principal.USER };
    expect((await callError(as("A member").createMembership({ groupId: id, subject }))).code).toBe(
      Code.PermissionDenied,
    );
    const { member } = await admin().createMembership({ groupId: id, subject });
    expect((await callError(as("A member").deleteMembership({ membershipId: member?.id as string }))).code).toBe(
      Code.PermissionDenied,
    );

    const bGroup = await newGroup(as("B admin"), t.fx.organizations.B);
    const bPerson = await seedMember(t.server.sql, t.fx.organizations.B, { name: "B someone" });
    const bSubject = { id: bPerson.member.id, principal: Principal.USER };
    const bMembership = (await as("B admin").createMembership({ groupId: bGroup, subject: bSubject })).member;
    expect((await callError(admin().createMembership({ groupId: bGroup, subject: bSubject }))).code).toBe(
      Code.NotFound,
    );
    expect((await callError(admin().getMembership({ groupId: bGroup, subject: bSubject }))).code).toBe(Code.NotFound);
    expect((await callError(admin().listMemberships({ groupId: bGroup }))).code).toBe(Code.NotFound);
    expect((await callError(admin().deleteMembership({ membershipId: bMembership?.id as string }))).code).toBe(
      Code.NotFound,
    );
    expect((await callError(as("A org runner itself").listMemberships({ groupId: id }))).code).toBe(
      Code.PermissionDenied,
    );
  });

  it("lists a group's members in keyset pages", async () => {
    const id = await newGroup();
    for (let i = 0; i < 5; i++) {
      const m = await seedMember(t.server.sql, orgA(), { name: `paged ${i}` });
      await admin().createMembership({ groupId: id, subject: { id: m.member.id, principal: Principal.USER } });
    }
    const { items, pages } = await allPages(async (token) => {
      const r = await as("A member").listMemberships({ groupId: id, pagination: { pageSize: 2, token } });
      return { items: r.members, next: r.pagination?.nextToken ?? "" };
    });
    expect(pages).toBe(3);
    expect(items.map((m) => m.name).sort()).toEqual(["paged 0", "paged 1", "paged 2", "paged 3", "paged 4"]);
    const other = await newGroup();
    const first = await admin().listMemberships({ groupId: id, pagination: { pageSize: 2 } });
    const reused = await callError(
      admin().listMemberships({
        groupId: other,
        pagination: { pageSize: 2, token: first.pagination?.nextToken as string },
      }),
    );
    expect(reused.code).toBe(Code.InvalidArgument);
  });
});

describe("role assignments", () => {
  /** A new org runner of A, so that its policies are this test's only. */
  async function newOrgRunner(): Promise<string> {
    const { runner } = await runners(t.fx.tokens["A admin"]).createRunner({
      name: "assignment fleet",
      provider: RunnerProvider.GCP,
    });
    return runner?.runnerId as string;
  }

  /** A plain member of org A in a new group. */
  async function groupMember() {
    const m = await seedMember(t.server.sql, orgA(), { name: `member ${randomUUID().slice(0, 8)}` });
    const groupId = await newGroup();
    await admin().createMembership({ groupId, subject: { id: m.member.id, principal: Principal.USER } });
    return { token: m.token, id: m.member.id, groupId };
  }

  it("is a runner policy: created here, RunnerService shows it and the group's members get the role", async () => {
    const runnerId = await newOrgRunner();
    const m = await groupMember();
    // A plain member is runner user of an org runner: no policies to read.
    expect((await callError(runners(m.token).listRunnerPolicies({ runnerId }))).code).toBe(Code.PermissionDenied);

    const { assignment } = await admin().createRoleAssignment({
      groupId: m.groupId,
      resourceType: ResourceType.RUNNER,
      resourceId: runnerId,
      resourceRole: ResourceRole.RUNNER_ADMIN,
    });
    expect(assignment).toMatchObject({
      groupId: m.groupId,
      organizationId: orgA(),
      resourceId: runnerId,
      resourceType: ResourceType.RUNNER,
      resourceRole: ResourceRole.RUNNER_ADMIN,
    });
    expect(assignment?.derivedFromOrgRole).toBeUndefined();
    const { policies } = await runners(t.fx.tokens["A admin"]).listRunnerPolicies({ runnerId });
    expect(policies.map((p) => ({ groupId: p.groupId, role: p.role }))).toEqual([
      { groupId: m.groupId, role: RunnerRole.ADMIN },
    ]);
    // The member is runner admin now: it reads the policies and may rename the runner.
    await runners(m.token).listRunnerPolicies({ runnerId });
    await runners(m.token).updateRunner({ runnerId, name: "renamed by a group admin" });

    // Deleted here, gone there, and the role with it.
    await admin().deleteRoleAssignment({ assignmentId: assignment?.id as string });
    expect((await runners(t.fx.tokens["A admin"]).listRunnerPolicies({ runnerId })).policies).toEqual([]);
    expect((await callError(runners(m.token).listRunnerPolicies({ runnerId }))).code).toBe(Code.PermissionDenied);
    expect((await callError(admin().deleteRoleAssignment({ assignmentId: assignment?.id as string }))).code).toBe(
      Code.NotFound,
    );
  });

  it("shows a policy made through RunnerService, with the same id until it is deleted there", async () => {
    const runnerId = await newOrgRunner();
    const m = await groupMember();
    await runners(t.fx.tokens["A admin"]).createRunnerPolicy({ runnerId, groupId: m.groupId, role: RunnerRole.USER });
    const [assignment] = (await admin().listRoleAssignments({ filter: { resourceId: runnerId } })).assignments;
    expect(assignment).toMatchObject({
      groupId: m.groupId,
      resourceId: runnerId,
      resourceType: ResourceType.RUNNER,
      resourceRole: ResourceRole.RUNNER_USER,
    });
    const [row] = await t.server.sql<{ id: string }[]>`
      select id from runner_policies where runner_id = ${runnerId} and group_id = ${m.groupId}`;
    const id = row?.id;
    expect(assignment?.id).toBe(id);

    // A change there is a change here: the same row.
    await runners(t.fx.tokens["A admin"]).updateRunnerPolicy({ runnerId, groupId: m.groupId, role: RunnerRole.ADMIN });
    const [promoted] = (await admin().listRoleAssignments({ filter: { resourceId: runnerId } })).assignments;
    expect(promoted).toMatchObject({ id, resourceRole: ResourceRole.RUNNER_ADMIN });

    // A second assignment for the same group and runner is the duplicate policy.
    const again = await callError(
      admin().createRoleAssignment({
        groupId: m.groupId,
        resourceType: ResourceType.RUNNER,
        resourceId: runnerId,
        resourceRole: ResourceRole.RUNNER_USER,
      }),
    );
    expect(again.code).toBe(Code.AlreadyExists);

    await runners(t.fx.tokens["A admin"]).deleteRunnerPolicy({ runnerId, groupId: m.groupId });
    expect((await admin().listRoleAssignments({ filter: { resourceId: runnerId } })).assignments).toEqual([]);
  });

  it("applies the contract's rules and takes only runner roles on org runners", async () => {
    const runnerId = await newOrgRunner();
    const groupId = await newGroup();
    const create = (o: {
      resourceType?: ResourceType;
      resourceRole?: ResourceRole;
      resourceId?: string;
      groupId?: string;
    }) =>
      callError(
        admin().createRoleAssignment({
          groupId: o.groupId ?? groupId,
          resourceType: o.resourceType ?? ResourceType.RUNNER,
          resourceId: o.resourceId ?? runnerId,
          resourceRole: o.resourceRole ?? ResourceRole.RUNNER_USER,
        }),
      );
    expect((await create({ resourceType: ResourceType.PROJECT })).code).toBe(Code.InvalidArgument);
    expect((await create({ resourceType: ResourceType.UNSPECIFIED })).code).toBe(Code.InvalidArgument);
    expect((await create({ resourceRole: ResourceRole.ORG_ADMIN })).code).toBe(Code.InvalidArgument);
    expect((await create({ resourceRole: ResourceRole.UNSPECIFIED })).code).toBe(Code.InvalidArgument);
    const badId = await create({ resourceId: "nope" });
    expect(badId.code).toBe(Code.InvalidArgument);
    expect(badId.rawMessage).toBe("resource_id: value must be a valid UUID");
    // A user runner takes no policies.
    expect((await create({ resourceId: t.fx.runners.userRunner })).code).toBe(Code.FailedPrecondition);
    // Another org's runner, an unknown runner, another org's group: not found.
    expect((await create({ resourceId: t.fx.runners.otherOrgRunner })).code).toBe(Code.NotFound);
    expect((await create({ resourceId: unknownId })).code).toBe(Code.NotFound);
    const bGroup = await newGroup(as("B admin"), t.fx.organizations.B);
    expect((await create({ groupId: bGroup })).code).toBe(Code.NotFound);
  });

  it("are changed by org admins only, and shown on the runners the caller administers", async () => {
    const runnerId = await newOrgRunner();
    const m = await groupMember();
    const memberAssign = callError(
      groups(m.token).createRoleAssignment({
        groupId: m.groupId,
        resourceType: ResourceType.RUNNER,
        resourceId: runnerId,
        resourceRole: ResourceRole.RUNNER_ADMIN,
      }),
    );
    expect((await memberAssign).code).toBe(Code.PermissionDenied);
    // Someone else's user runner is invisible to a member: not_found before the role check.
    const hidden = await callError(
      groups(m.token).createRoleAssignment({
        groupId: m.groupId,
        resourceType: ResourceType.RUNNER,
        resourceId: t.fx.runners.userRunner,
        resourceRole: ResourceRole.RUNNER_ADMIN,
      }),
    );
    expect(hidden.code).toBe(Code.NotFound);

    const { assignment } = await admin().createRoleAssignment({
      groupId: m.groupId,
      resourceType: ResourceType.RUNNER,
      resourceId: runnerId,
      resourceRole: ResourceRole.RUNNER_USER,
    });
    const id = assignment?.id as string;
    // A runner user does not see the runner's assignments (like ListRunnerPolicies) ...
    expect((await groups(m.token).listRoleAssignments({ filter: { resourceId: runnerId } })).assignments).toEqual([]);
    expect((await callError(groups(m.token).deleteRoleAssignment({ assignmentId: id }))).code).toBe(Code.NotFound);
    // ... a runner admin through a policy does, but may not change them here.
    expect(
      (await as("A policy admin").listRoleAssignments({ filter: { resourceId: t.fx.runners.orgRunner } })).assignments
        .length,
    ).toBeGreaterThanOrEqual(2);
    const opsPolicy = (
      await as("A policy admin").listRoleAssignments({ filter: { resourceId: t.fx.runners.orgRunner } })
    ).assignments[0];
    expect(
      (await callError(as("A policy admin").deleteRoleAssignment({ assignmentId: opsPolicy?.id as string }))).code,
    ).toBe(Code.PermissionDenied);
    // Another org's assignment is not found.
    const bRunner = t.fx.runners.otherOrgRunner;
    const bGroup = await newGroup(as("B admin"), t.fx.organizations.B);
    const bAssignment = (
      await as("B admin").createRoleAssignment({
        groupId: bGroup,
        resourceType: ResourceType.RUNNER,
        resourceId: bRunner,
        resourceRole: ResourceRole.RUNNER_USER,
      })
    ).assignment;
    expect((await callError(admin().deleteRoleAssignment({ assignmentId: bAssignment?.id as string }))).code).toBe(
      Code.NotFound,
    );
    expect((await admin().listRoleAssignments({ filter: { resourceId: bRunner } })).assignments).toEqual([]);
    expect((await callError(as("A org runner itself").listRoleAssignments({}))).code).toBe(Code.PermissionDenied);
  });

  it("filters by group, user, resource, type and role, in keyset pages", async () => {
    const runnerIds = [await newOrgRunner(), await newOrgRunner(), await newOrgRunner()];
    const m = await groupMember();
    const otherGroup = await newGroup();
    for (const [i, runnerId] of runnerIds.entries()) {
      await admin().createRoleAssignment({
        groupId: m.groupId,
        resourceType: ResourceType.RUNNER,
        resourceId: runnerId,
        resourceRole: i === 0 ? ResourceRole.RUNNER_ADMIN : ResourceRole.RUNNER_USER,
      });
      await admin().createRoleAssignment({
        groupId: otherGroup,
        resourceType: ResourceType.RUNNER,
        resourceId: runnerId,
        resourceRole: ResourceRole.RUNNER_USER,
      });
    }
    const { items, pages } = await allPages(async (token) => {
      const r = await admin().listRoleAssignments({
        filter: { resourceIds: runnerIds },
        pagination: { pageSize: 4, token },
      });
      return { items: r.assignments, next: r.pagination?.nextToken ?? "" };
    });
    expect(pages).toBe(2);
    expect(items).toHaveLength(6);

    const count = async (filter: Parameters<Groups["listRoleAssignments"]>[0]["filter"]) =>
      (await admin().listRoleAssignments({ filter: { resourceIds: runnerIds, ...filter } })).assignments.length;
    expect(await count({ groupId: m.groupId })).toBe(3);
    expect(await count({ userId: m.id })).toBe(3);
    expect(await count({ resourceId: runnerIds[1] as string })).toBe(2);
    expect(await count({ resourceRoles: [ResourceRole.RUNNER_ADMIN] })).toBe(1);
    expect(await count({ resourceRoles: [ResourceRole.PROJECT_ADMIN] })).toBe(0);
    expect(await count({ resourceTypes: [ResourceType.RUNNER] })).toBe(6);
    expect(await count({ resourceTypes: [ResourceType.PROJECT] })).toBe(0);
    const bad = await callError(admin().listRoleAssignments({ filter: { groupId: "nope" } }));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(bad.rawMessage).toBe("filter.group_id: value must be a valid UUID");
  });
});
