/** Database rows of service accounts and their tokens → gitpod.v1 messages, in one place. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import {
  type ServiceAccount,
  ServiceAccountSchema,
  type ServiceAccountToken,
  ServiceAccountTokenSchema,
} from "@runnerplane/api/gitpod/v1/service_account_pb";
import { principalFromDb } from "../auth/index.js";
import type { DbServiceAccount } from "../db/service-accounts.js";
import type { DbToken } from "../db/tokens.js";

/**
 * `system_managed` is always false: this server manages no service accounts of its own.
 * `creator` is unset for service accounts made by the CLI (no API subject made them).
 */
export function toServiceAccount(row: DbServiceAccount): ServiceAccount {
  return create(ServiceAccountSchema, {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    description: row.description,
    ...(row.creator_id && row.creator_principal
      ? { creator: { id: row.creator_id, principal: principalFromDb(row.creator_principal) } }
      : {}),
    createdAt: timestampFromDate(row.created_at),
    ...(row.valid_until ? { validUntil: timestampFromDate(row.valid_until) } : {}),
    suspended: row.suspended_at !== null,
    systemManaged: false,
  });
}

/**
 * The token's metadata, never its value (which is not stored). The creator is the service
 * account itself: the API creates tokens only for the calling service account, and the CLI's
 * tokens have no API subject that made them (docs/identity.md).
 */
export function toServiceAccountToken(row: DbToken): ServiceAccountToken {
  return create(ServiceAccountTokenSchema, {
    id: row.id,
    serviceAccountId: row.subject_id,
    description: row.description,
    creator: { id: row.subject_id, principal: Principal.SERVICE_ACCOUNT },
    createdAt: timestampFromDate(row.created_at),
    ...(row.expires_at ? { expiresAt: timestampFromDate(row.expires_at) } : {}),
    ...(row.last_used_at ? { lastUsed: timestampFromDate(row.last_used_at) } : {}),
  });
}
