/** Database rows of organizations and their users → gitpod.v1 messages, in one place. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type Organization,
  type OrganizationMember,
  OrganizationMemberSchema,
  OrganizationRole,
  OrganizationSchema,
  OrganizationTier,
} from "@runnerplane/api/gitpod/v1/organization_pb";
import { UserStatus } from "@runnerplane/api/gitpod/v1/user_pb";
import type { OrgRole } from "../db/members.js";
import type { DbUserStatus } from "../db/organization-members.js";
import type { DbOrganization } from "../db/organizations.js";
import type { DbUser } from "../db/users.js";

/**
 * `Organization.tier` is required (0 is invalid) and describes Gitpod's hosted plans. A
 * self-hosted org has every feature and no plan: ENTERPRISE, the tier of Gitpod's
 * self-hosted runner deployments, describes it best.
 */
export const selfHostedTier = OrganizationTier.ENTERPRISE;

/**
 * `OrganizationMember.login_provider` is required. Users here are created by the admin CLI
 * and authenticate with personal access tokens: the server's own, built-in sign-in.
 */
export const builtinLoginProvider = "builtin";

export const roleFromDb: Record<OrgRole, OrganizationRole> = {
  admin: OrganizationRole.ADMIN,
  member: OrganizationRole.MEMBER,
};

export const roleToDb: Partial<Record<OrganizationRole, OrgRole>> = {
  [OrganizationRole.ADMIN]: "admin",
  [OrganizationRole.MEMBER]: "member",
};

/** USER_STATUS_LEFT has no row here (a user who leaves is removed), so it maps to nothing. */
export const statusToDb: Partial<Record<UserStatus, DbUserStatus>> = {
  [UserStatus.ACTIVE]: "active",
  [UserStatus.SUSPENDED]: "suspended",
};

export function toOrganization(row: DbOrganization): Organization {
  return create(OrganizationSchema, {
    id: row.id,
    name: row.name,
    createdAt: timestampFromDate(row.created_at),
    updatedAt: timestampFromDate(row.updated_at),
    inviteDomains: { domains: row.invite_domains },
    tier: selfHostedTier,
  });
}

/** No avatars are stored: `avatar_url` stays empty, as the contract allows. */
export function toOrganizationMember(row: DbUser): OrganizationMember {
  return create(OrganizationMemberSchema, {
    userId: row.id,
    role: roleFromDb[row.role],
    memberSince: timestampFromDate(row.created_at),
    fullName: row.name,
    email: row.email ?? "",
    status: row.suspended_at ? UserStatus.SUSPENDED : UserStatus.ACTIVE,
    loginProvider: builtinLoginProvider,
  });
}
