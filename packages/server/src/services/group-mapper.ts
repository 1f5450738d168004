/** Database rows of groups, memberships and runner policies → gitpod.v1 GroupService messages. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ResourceType } from "@runnerplane/api/gitpod/v1/event_pb";
import {
  type Group,
  type GroupMembership,
  GroupMembershipSchema,
  GroupSchema,
  ResourceRole,
  type RoleAssignment,
  RoleAssignmentSchema,
} from "@runnerplane/api/gitpod/v1/group_pb";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import type { DbGroupRecord, DbMembership } from "../db/groups.js";
import type { DbPolicyRole, DbRunnerPolicy } from "../db/runner-policies.js";

/** The roles a group can hold on a runner: the two roles of a runner policy. */
export const runnerRoleToDb: Partial<Record<ResourceRole, DbPolicyRole>> = {
  [ResourceRole.RUNNER_ADMIN]: "admin",
  [ResourceRole.RUNNER_USER]: "user",
};

/** Groups here are made by admins: never system-managed, never a direct share. */
export function toGroup(row: DbGroupRecord): Group {
  return create(GroupSchema, {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    description: row.description,
    createdAt: timestampFromDate(row.created_at),
    updatedAt: timestampFromDate(row.updated_at),
    memberCount: row.member_count,
    systemManaged: false,
    directShare: false,
  });
}

/** No avatars are stored: `avatar_url` stays empty, as the contract allows. */
export function toMembership(row: DbMembership): GroupMembership {
  return create(GroupMembershipSchema, {
    id: row.id,
    groupId: row.group_id,
    subject: {
      id: row.member_id,
      principal: row.kind === "service_account" ? Principal.SERVICE_ACCOUNT : Principal.USER,
    },
    name: row.name,
    avatarUrl: "",
  });
}

/** A runner policy as a role assignment: the same row, the same id. */
export function toRoleAssignment(row: DbRunnerPolicy): RoleAssignment {
  return create(RoleAssignmentSchema, {
    id: row.id,
    groupId: row.group_id,
    organizationId: row.organization_id,
    resourceId: row.runner_id,
    resourceType: ResourceType.RUNNER,
    resourceRole: row.role === "admin" ? ResourceRole.RUNNER_ADMIN : ResourceRole.RUNNER_USER,
  });
}
