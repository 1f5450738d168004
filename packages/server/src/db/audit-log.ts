/**
 * SQL for the audit log (docs/audit-log.md). Rows are only ever inserted here and deleted by
 * the pruner; the table's trigger refuses everything else.
 */
import type { Db, Sql } from "./sql.js";

export type DbActorPrincipal = "user" | "service_account" | "runner" | "cli" | "unknown";

export interface DbAuditEntry {
  id: string;
  organization_id: string;
  created_at: Date;
  actor_principal: DbActorPrincipal;
  actor_id: string | null;
  action: string;
  /** gitpod.v1.ResourceType number. */
  subject_type: number;
  subject_id: string | null;
  /** gitpod.v1.AuditLogEntryKind number. */
  kind: number;
  request_id: string;
  client_address: string | null;
  user_agent: string | null;
}

export type NewAuditEntry = Omit<DbAuditEntry, "id">;

export async function insertAuditEntry(sql: Db, e: NewAuditEntry): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into audit_log (organization_id, created_at, actor_principal, actor_id, action, subject_type,
                           subject_id, kind, request_id, client_address, user_agent)
    values (${e.organization_id}, date_trunc('milliseconds', ${e.created_at}::timestamptz), ${e.actor_principal},
            ${e.actor_id}, ${e.action}, ${e.subject_type}, ${e.subject_id}, ${e.kind}, ${e.request_id},
            ${e.client_address}, ${e.user_agent})
    returning id`;
  return (row as { id: string }).id;
}

export interface AuditLogFilter {
  organizationId: string;
  actorIds: string[];
  actorPrincipals: DbActorPrincipal[];
  subjectIds: string[];
  subjectTypes: number[];
  from: Date | undefined;
  to: Date | undefined;
  order: "desc" | "asc";
}

/**
 * One page of the org's entries, newest first (or oldest first), keyset on (created_at, id):
 * audit_log_list_idx, or audit_log_actor_idx / audit_log_subject_idx when those filters are
 * given, serve the range and its order, so a later page costs what the first does.
 */
export function listAuditEntries(
  sql: Db,
  q: AuditLogFilter & { after: { createdAt: Date; id: string } | undefined; limit: number },
): Promise<DbAuditEntry[]> {
  const desc = q.order === "desc";
  return sql<DbAuditEntry[]>`
    select * from audit_log
     where organization_id = ${q.organizationId}
       ${q.actorIds.length ? sql`and actor_id = any(${q.actorIds}::uuid[])` : sql``}
       ${q.actorPrincipals.length ? sql`and actor_principal = any(${q.actorPrincipals}::text[])` : sql``}
       ${q.subjectIds.length ? sql`and subject_id = any(${q.subjectIds}::uuid[])` : sql``}
       ${q.subjectTypes.length ? sql`and subject_type = any(${q.subjectTypes}::smallint[])` : sql``}
       ${q.from ? sql`and created_at >= ${q.from}` : sql``}
       ${q.to ? sql`and created_at < ${q.to}` : sql``}
       ${
         q.after
           ? desc
             ? sql`and (created_at, id) < (${q.after.createdAt}, ${q.after.id}::uuid)`
             : sql`and (created_at, id) > (${q.after.createdAt}, ${q.after.id}::uuid)`
           : sql``
       }
     order by ${desc ? sql`created_at desc, id desc` : sql`created_at, id`}
     limit ${q.limit}`;
}

export async function findAuditEntry(sql: Db, organizationId: string, id: string): Promise<DbAuditEntry | undefined> {
  const [row] = await sql<DbAuditEntry[]>`
    select * from audit_log where organization_id = ${organizationId} and id = ${id}`;
  return row;
}

/**
 * Deletes up to `batch` entries older than `before`, in a transaction of its own that tells
 * the append-only trigger this is the pruner. SKIP LOCKED: replicas pruning at the same time
 * take different rows instead of waiting for each other. Returns how many went.
 */
export async function pruneAuditEntries(sql: Sql, before: Date, batch: number): Promise<number> {
  return sql.begin(async (tx) => {
    await tx`select set_config('runnerplane.audit_prune', 'on', true)`;
    const rows = await tx`
      delete from audit_log where id in (
        select id from audit_log where created_at < ${before}
         order by created_at limit ${batch} for update skip locked)`;
    return rows.count;
  });
}
