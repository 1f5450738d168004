/** Database rows of users and their personal access tokens → gitpod.v1 messages, in one place. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import {
  type PersonalAccessToken,
  PersonalAccessTokenSchema,
  type User,
  UserSchema,
  UserStatus,
} from "@runnerplane/api/gitpod/v1/user_pb";
import type { DbToken } from "../db/tokens.js";
import type { DbUser } from "../db/users.js";

/** A member is never LEFT here: a member who leaves is removed from the org. */
export function toUser(row: DbUser): User {
  return create(UserSchema, {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    // Users have no avatar in a self-hosted server (docs/identity.md).
    avatarUrl: "",
    createdAt: timestampFromDate(row.created_at),
    status: row.suspended_at ? UserStatus.SUSPENDED : UserStatus.ACTIVE,
    email: row.email ?? "",
  });
}

/**
 * The token's metadata, never its value (which is not stored). The creator is the user the
 * token is for: the API creates tokens for the caller only, and the CLI's tokens have no
 * API subject that made them (docs/identity.md).
 */
export function toPersonalAccessToken(row: DbToken): PersonalAccessToken {
  return create(PersonalAccessTokenSchema, {
    id: row.id,
    userId: row.subject_id,
    description: row.description,
    creator: { id: row.subject_id, principal: Principal.USER },
    createdAt: timestampFromDate(row.created_at),
    ...(row.expires_at ? { expiresAt: timestampFromDate(row.expires_at) } : {}),
    ...(row.last_used_at ? { lastUsed: timestampFromDate(row.last_used_at) } : {}),
    readOnly: row.read_only,
  });
}
