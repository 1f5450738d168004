/**
 * gitpod.v1.GroupService: an org's groups, their members, and the roles groups hold on
 * runners (behaviour.md §12, docs/identity.md#groups-memberships-and-role-assignments).
 * A role assignment on a runner is its runner policy: one row in `runner_policies`, shown
 * by this service and by RunnerService's policy methods alike.
 */

import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { ResourceType } from "@runnerplane/api/gitpod/v1/event_pb";
import { GroupService } from "@runnerplane/api/gitpod/v1/group_pb";
import { Principal, type Subject } from "@runnerplane/api/gitpod/v1/identity_pb";
import { createAuditor } from "../audit/index.js";
import {
  administeredRunnerCondition,
  authorizeOrganization,
  authorizeRunner,
  type Caller,
  callerOf,
  orgAdmin,
  orgMember,
} from "../auth/index.js";
import type { Clock } from "../clock.js";
import {
  deleteGroup,
  deleteMembership,
  findMembership,
  findMembershipById,
  findOrganizationGroup,
  type GroupFilter,
  insertGroup,
  insertMembership,
  listMemberships,
  listOrganizationGroups,
  updateGroup,
} from "../db/groups.js";
import type { Sql } from "../db/index.js";
import {
  type DbPolicyRole,
  deletePolicyById,
  findPolicyById,
  insertPolicy,
  listRoleAssignments,
  type RoleAssignmentFilter,
} from "../db/runner-policies.js";
import { alreadyExistsOnUniqueViolation } from "../errors/index.js";
import { type PageTokens, paginate } from "../pagination/index.js";
import { isUuid } from "../validation/index.js";
import { runnerRoleToDb, toGroup, toMembership, toRoleAssignment } from "./group-mapper.js";

export interface GroupServiceDeps {
  sql: Sql;
  clock: Clock;
  pageTokens: () => Promise<PageTokens>;
}

/** Who may use GroupService, and who may change what it holds (auth/organization-access.ts). */
const memberOf = (caller: Caller) => orgMember(caller, GroupService.name);
const requireAdmin = (caller: Caller) => void orgAdmin(caller, GroupService.name);

const groupNotFound = (id: string) => new ConnectError(`group ${id} not found`, Code.NotFound);

/** A member subject: a user or a service account, with an id. */
function memberSubject(subject: Subject | undefined, field: string): { id: string; kind: "user" | "service_account" } {
  if (!subject || subject.id === "") {
    throw new ConnectError(`${field}.id: a user or service account id is required`, Code.InvalidArgument);
  }
  if (subject.principal !== Principal.USER && subject.principal !== Principal.SERVICE_ACCOUNT) {
    throw new ConnectError(
      `${field}.principal: must be PRINCIPAL_USER or PRINCIPAL_SERVICE_ACCOUNT`,
      Code.InvalidArgument,
    );
  }
  return {
    id: subject.id.toLowerCase(),
    kind: subject.principal === Principal.USER ? "user" : "service_account",
  };
}

/** A filter field the contract gives no rule: "" for none, else it must be a UUID. */
function optionalUuid(value: string, field: string): string | undefined {
  if (value === "") return undefined;
  if (!isUuid(value)) throw new ConnectError(`${field}: value must be a valid UUID`, Code.InvalidArgument);
  return value.toLowerCase();
}

function runnerRoleOf(role: number): DbPolicyRole {
  const db = runnerRoleToDb[role as keyof typeof runnerRoleToDb];
  if (!db) {
    throw new ConnectError(
      "resource_role: must be RESOURCE_ROLE_RUNNER_ADMIN or RESOURCE_ROLE_RUNNER_USER",
      Code.InvalidArgument,
    );
  }
  return db;
}

export function createGroupService({
  sql,
  clock,
  pageTokens,
}: GroupServiceDeps): Partial<ServiceImpl<typeof GroupService>> {
  const audited = createAuditor({ sql, clock });
  /** The group of the caller's org, or `not_found` (another org's and unknown ids alike). */
  async function visibleGroup(caller: Caller, id: string) {
    const group = await findOrganizationGroup(sql, caller.organizationId, { id: id.toLowerCase() });
    if (!group) throw groupNotFound(id);
    return group;
  }

  return {
    async createGroup(req, ctx) {
      const caller = memberOf(callerOf(ctx));
      authorizeOrganization(caller, req.organizationId, GroupService.name, "admin");
      const now = clock.now();
      const group = await alreadyExistsOnUniqueViolation(
        audited(
          ctx,
          (tx) =>
            insertGroup(tx, {
              organizationId: caller.organizationId,
              name: req.name,
              description: req.description,
              now,
            }),
          (created) => created.id,
        ),
        `a group named "${req.name}" already exists`,
      );
      return { group: toGroup(group) };
    },

    /** By id, by name, or by the deprecated `group_id`. */
    async getGroup(req, ctx) {
      const caller = memberOf(callerOf(ctx));
      const by =
        req.group.case === "id"
          ? { id: req.group.value.toLowerCase() }
          : req.group.case === "name"
            ? { name: req.group.value }
            : req.groupId !== ""
              ? { id: optionalUuid(req.groupId, "group_id") as string }
              : undefined;
      if (!by) throw new ConnectError("group: an id or a name is required", Code.InvalidArgument);
      const group = await findOrganizationGroup(sql, caller.organizationId, by);
      if (!group) throw groupNotFound("id" in by ? by.id : by.name);
      return { group: toGroup(group) };
    },

    /**
     * The org's groups, oldest first. No group here is system-managed or a direct share, so
     * asking for those (true) matches nothing and asking for the others (false) everything.
     */
    async listGroups(req, ctx) {
      const caller = memberOf(callerOf(ctx));
      const f = req.filter;
      const exclude = f?.excludeAssignedToResource;
      const filter: GroupFilter = {
        organizationId: caller.organizationId,
        search: (f?.search ?? "").toLowerCase(),
        groupIds: [...new Set((f?.groupIds ?? []).map((id) => id.toLowerCase()))],
        // Only runners take role assignments here; other resource types exclude nothing.
        excludeAssignedToRunner:
          exclude && exclude.resourceType === ResourceType.RUNNER && exclude.resourceId !== ""
            ? exclude.resourceId.toLowerCase()
            : undefined,
        none: f?.systemManaged === true || f?.directShare === true,
      };
      const page = await paginate({
        tokens: await pageTokens(),
        method: "gitpod.v1.GroupService/ListGroups",
        filter,
        pagination: req.pagination,
        fetch: (after, limit) => listOrganizationGroups(sql, { ...filter, after, limit }),
        cursorOf: (row) => ({ createdAt: row.created_at, id: row.id }),
      });
      return { groups: page.rows.map(toGroup), pagination: { nextToken: page.nextToken } };
    },

    /** Name and description are both required by the contract's rules, so both are set. */
    async updateGroup(req, ctx) {
      const caller = memberOf(callerOf(ctx));
      await visibleGroup(caller, req.groupId);
      requireAdmin(caller);
      const group = await alreadyExistsOnUniqueViolation(
        audited(
          ctx,
          async (tx) => {
            const updated = await updateGroup(tx, caller.organizationId, req.groupId.toLowerCase(), {
              name: req.name,
              description: req.description,
              now: clock.now(),
            });
            if (!updated) throw groupNotFound(req.groupId);
            return updated;
          },
          req.groupId,
        ),
        `a group named "${req.name}" already exists`,
      );
      return { group: toGroup(group) };
    },

    /** Its memberships and role assignments (runner policies) go with it, by foreign key. */
    async deleteGroup(req, ctx) {
      const caller = memberOf(callerOf(ctx));
      await visibleGroup(caller, req.groupId);
      requireAdmin(caller);
      await audited(
        ctx,
        async (tx) => {
          if (!(await deleteGroup(tx, caller.organizationId, req.groupId.toLowerCase()))) {
            throw groupNotFound(req.groupId);
          }
        },
        req.groupId,
      );
      return {};
    },

    /** A user or service account of the group's org; another org's or unknown: `not_found`. */
    async createMembership(req, ctx) {
      const caller = memberOf(callerOf(ctx));
      const subject = memberSubject(req.subject, "subject");
      await visibleGroup(caller, req.groupId);
      requireAdmin(caller);
      const membership = await alreadyExistsOnUniqueViolation(
        audited(
          ctx,
          async (tx) => {
            const created = await insertMembership(tx, {
              organizationId: caller.organizationId,
              groupId: req.groupId.toLowerCase(),
              memberId: subject.id,
              kind: subject.kind,
              now: clock.now(),
            });
            if (!created) throw new ConnectError(`subject ${subject.id} not found`, Code.NotFound);
            return created;
          },
          (created) => created.id,
        ),
        `${subject.id} is already a member of group ${req.groupId}`,
      );
      return { member: toMembership(membership) };
    },

    async getMembership(req, ctx) {
      const caller = memberOf(callerOf(ctx));
      const subject = memberSubject(req.subject, "subject");
      const membership = await findMembership(sql, {
        organizationId: caller.organizationId,
        groupId: req.groupId.toLowerCase(),
        memberId: subject.id,
        kind: subject.kind,
      });
      if (!membership) {
        throw new ConnectError(`${subject.id} is not a member of group ${req.groupId}`, Code.NotFound);
      }
      return { member: toMembership(membership) };
    },

    /** The group's members in the order they were added. */
    async listMemberships(req, ctx) {
      const caller = memberOf(callerOf(ctx));
      const group = await visibleGroup(caller, req.groupId);
      const filter = { groupId: group.id, search: (req.filter?.search ?? "").toLowerCase() };
      const page = await paginate({
        tokens: await pageTokens(),
        method: "gitpod.v1.GroupService/ListMemberships",
        filter,
        pagination: req.pagination,
        fetch: (after, limit) => listMemberships(sql, { ...filter, after, limit }),
        cursorOf: (row) => ({ createdAt: row.created_at, id: row.id }),
      });
      return { members: page.rows.map(toMembership), pagination: { nextToken: page.nextToken } };
    },

    async deleteMembership(req, ctx) {
      const caller = memberOf(callerOf(ctx));
      const id = req.membershipId.toLowerCase();
      if (!(await findMembershipById(sql, caller.organizationId, id))) {
        throw new ConnectError(`membership ${req.membershipId} not found`, Code.NotFound);
      }
      requireAdmin(caller);
      await audited(
        ctx,
        async (tx) => {
          if (!(await deleteMembership(tx, caller.organizationId, id))) {
            throw new ConnectError(`membership ${req.membershipId} not found`, Code.NotFound);
          }
        },
        id,
      );
      return {};
    },

    /**
     * The runner policy (group, role) on an org runner, as CreateRunnerPolicy makes it. The
     * runner must be visible to the caller (authorizeRunner), the change is an org admin's.
     */
    async createRoleAssignment(req, ctx) {
      const caller = memberOf(callerOf(ctx));
      if (req.resourceType !== ResourceType.RUNNER) {
        throw new ConnectError(
          "resource_type: only RESOURCE_TYPE_RUNNER takes role assignments here",
          Code.InvalidArgument,
        );
      }
      const role = runnerRoleOf(req.resourceRole);
      const { facts } = await authorizeRunner(sql, caller, req.resourceId, { need: "user" });
      await visibleGroup(caller, req.groupId);
      requireAdmin(caller);
      if (facts.kind === "local") {
        throw new ConnectError(
          "only organization runners take role assignments; this is a user runner",
          Code.FailedPrecondition,
        );
      }
      const policy = await alreadyExistsOnUniqueViolation(
        audited(
          ctx,
          async (tx) => {
            const created = await insertPolicy(tx, {
              organizationId: caller.organizationId,
              runnerId: req.resourceId.toLowerCase(),
              groupId: req.groupId.toLowerCase(),
              role,
              now: clock.now(),
            });
            if (!created) throw groupNotFound(req.groupId);
            return created;
          },
          (created) => created.id,
        ),
        `group ${req.groupId} already holds a role on runner ${req.resourceId}`,
      );
      return { assignment: toRoleAssignment(policy) };
    },

    /**
     * Role assignments on the runners the caller administers (every runner of the org for
     * an org admin), like ListRunnerPolicies, which needs the runner admin role: they reveal
     * the org's group structure. Filters naming other resource types or roles match nothing.
     */
    async listRoleAssignments(req, ctx) {
      const caller = memberOf(callerOf(ctx));
      const f = req.filter;
      const types = f?.resourceTypes ?? [];
      const roleNames = f?.resourceRoles ?? [];
      let runnerIds = [...new Set((f?.resourceIds ?? []).map((id) => id.toLowerCase()))];
      let none = types.length > 0 && !types.includes(ResourceType.RUNNER);
      const resourceId = optionalUuid(f?.resourceId ?? "", "filter.resource_id");
      if (resourceId) {
        if (runnerIds.length > 0 && !runnerIds.includes(resourceId)) none = true;
        runnerIds = [resourceId];
      }
      const filter: RoleAssignmentFilter = {
        organizationId: caller.organizationId,
        roles:
          roleNames.length > 0
            ? [
                ...new Set(
                  roleNames.flatMap((r) => {
                    const db = runnerRoleToDb[r];
                    return db ? [db] : [];
                  }),
                ),
              ]
            : undefined,
        groupId: optionalUuid(f?.groupId ?? "", "filter.group_id"),
        memberId: optionalUuid(f?.userId ?? "", "filter.user_id"),
        runnerIds,
        none,
      };
      const visibleRunner = administeredRunnerCondition(sql, caller);
      const page = await paginate({
        tokens: await pageTokens(),
        method: "gitpod.v1.GroupService/ListRoleAssignments",
        filter,
        pagination: req.pagination,
        fetch: (after, limit) => listRoleAssignments(sql, { ...filter, visibleRunner, after, limit }),
        cursorOf: (row) => ({ createdAt: row.created_at, id: row.id }),
      });
      return { assignments: page.rows.map(toRoleAssignment), pagination: { nextToken: page.nextToken } };
    },

    /** The assignment is found as ListRoleAssignments would show it; removing it is an admin's. */
    async deleteRoleAssignment(req, ctx) {
      const caller = memberOf(callerOf(ctx));
      const id = req.assignmentId.toLowerCase();
      const notFound = () => new ConnectError(`role assignment ${req.assignmentId} not found`, Code.NotFound);
      if (!(await findPolicyById(sql, caller.organizationId, id, administeredRunnerCondition(sql, caller)))) {
        throw notFound();
      }
      requireAdmin(caller);
      await audited(
        ctx,
        async (tx) => {
          if (!(await deletePolicyById(tx, caller.organizationId, id))) throw notFound();
        },
        id,
      );
      return {};
    },
  };
}
