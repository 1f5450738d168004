/** Database rows of the audit log → gitpod.v1 EventService messages. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type ListAuditLogsResponse_AuditLogEntry,
  ListAuditLogsResponse_AuditLogEntrySchema,
} from "@runnerplane/api/gitpod/v1/event_pb";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import type { DbActorPrincipal, DbAuditEntry } from "../db/audit-log.js";

/**
 * The CLI is no principal of the genuine API, nor is the unknown someone of a refused
 * sign-in: their entries show PRINCIPAL_UNSPECIFIED and an empty actor id
 * (docs/audit-log.md#the-cli-as-an-actor), and filtering for UNSPECIFIED finds both.
 */
export const principalToDb: Partial<Record<Principal, DbActorPrincipal[]>> = {
  [Principal.UNSPECIFIED]: ["cli", "unknown"],
  [Principal.USER]: ["user"],
  [Principal.SERVICE_ACCOUNT]: ["service_account"],
  [Principal.RUNNER]: ["runner"],
};

const principalFromDb: Record<DbActorPrincipal, Principal> = {
  cli: Principal.UNSPECIFIED,
  unknown: Principal.UNSPECIFIED,
  user: Principal.USER,
  service_account: Principal.SERVICE_ACCOUNT,
  runner: Principal.RUNNER,
};

export function toAuditLogEntry(row: DbAuditEntry): ListAuditLogsResponse_AuditLogEntry {
  return create(ListAuditLogsResponse_AuditLogEntrySchema, {
    id: row.id,
    actorId: row.actor_id ?? "",
    actorPrincipal: principalFromDb[row.actor_principal],
    subjectId: row.subject_id ?? "",
    subjectType: row.subject_type,
    action: row.action,
    createdAt: timestampFromDate(row.created_at),
    kind: row.kind,
  });
}
