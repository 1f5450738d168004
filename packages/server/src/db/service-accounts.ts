/**
 * SQL for service accounts as ServiceAccountService sees them: the members of kind
 * `service_account` (migration 0009 adds their description, creator and validity), and their
 * tokens (`tokens` rows of kind `personal_access` whose principal is `service_account`).
 */
import type { DbMember } from "./members.js";
import { containsPattern, type Db } from "./sql.js";

export interface DbServiceAccount extends DbMember {
  kind: "service_account";
  description: string;
  /** Who created it over the API; null for service accounts made by the CLI. */
  creator_id: string | null;
  creator_principal: "user" | "service_account" | null;
  /**
   * After this instant none of its tokens works: API tokens are capped to it at issuance, and
   * authentication checks it for every token (findTokenForAuth).
   */
  valid_until: Date | null;
  suspended_at: Date | null;
}

const serviceAccountColumns = [
  "id",
  "organization_id",
  "kind",
  "name",
  "email",
  "role",
  "created_at",
  "description",
  "creator_id",
  "creator_principal",
  "valid_until",
  "suspended_at",
] as const;

export interface CreateServiceAccountInput {
  organizationId: string;
  name: string;
  description: string;
  creator: { id: string; principal: "user" | "service_account" };
  validUntil: Date;
}

/** A new service account, always with the org role `member` (the contract has no role). */
export async function createServiceAccount(sql: Db, input: CreateServiceAccountInput): Promise<DbServiceAccount> {
  const [row] = await sql<DbServiceAccount[]>`
    insert into members (organization_id, kind, name, role, description, creator_id, creator_principal, valid_until)
    values (${input.organizationId}, 'service_account', ${input.name}, 'member', ${input.description},
            ${input.creator.id}, ${input.creator.principal}, ${input.validUntil})
    returning ${sql(serviceAccountColumns)}`;
  return row as DbServiceAccount;
}

/** A service account of the org; undefined for an unknown id, a user or another org's member. */
export async function findServiceAccount(
  sql: Db,
  organizationId: string,
  id: string,
): Promise<DbServiceAccount | undefined> {
  const [row] = await sql<DbServiceAccount[]>`
    select ${sql(serviceAccountColumns)} from members
     where id = ${id} and organization_id = ${organizationId} and kind = 'service_account'`;
  return row;
}

export interface ServiceAccountFilter {
  includeSuspended: boolean;
  /** Empty: no restriction. */
  ids: string[];
  /** Case-insensitive literal substring of the name or the description; empty: none. */
  search: string;
}

/**
 * One page of the org's service accounts in (created_at, id) order. members_organization_idx
 * serves the org filter, the order and the seek to the cursor; the kind and the other filters
 * are checked on the rows it yields.
 */
export function listServiceAccounts(
  sql: Db,
  q: ServiceAccountFilter & {
    organizationId: string;
    after: { createdAt: Date; id: string } | undefined;
    limit: number;
  },
): Promise<DbServiceAccount[]> {
  const pattern = containsPattern(q.search.toLowerCase());
  return sql<DbServiceAccount[]>`
    select ${sql(serviceAccountColumns)} from members
     where organization_id = ${q.organizationId} and kind = 'service_account'
       ${q.includeSuspended ? sql`` : sql`and suspended_at is null`}
       ${q.ids.length > 0 ? sql`and id = any(${q.ids}::uuid[])` : sql``}
       ${q.search ? sql`and (lower(name) like ${pattern} or lower(description) like ${pattern})` : sql``}
       ${q.after ? sql`and (created_at, id) > (${q.after.createdAt}, ${q.after.id}::uuid)` : sql``}
     order by created_at, id
     limit ${q.limit}`;
}

/** Writes what is given; undefined when the org has no such service account. */
export async function updateServiceAccount(
  sql: Db,
  organizationId: string,
  id: string,
  change: { name?: string | undefined; description?: string | undefined },
): Promise<DbServiceAccount | undefined> {
  const [row] = await sql<DbServiceAccount[]>`
    update members
       set name = ${change.name === undefined ? sql`name` : change.name},
           description = ${change.description === undefined ? sql`description` : change.description}
     where id = ${id} and organization_id = ${organizationId} and kind = 'service_account'
    returning ${sql(serviceAccountColumns)}`;
  return row;
}

/**
 * Removes the service account with its tokens (API and host tokens); its group memberships go
 * with the member row (foreign key, on delete cascade). Deleting the token rows is not what
 * stops them (authentication already fails once the subject is gone) but leaves no credential
 * of a deleted subject behind. False when the org has no such service account.
 */
export async function deleteServiceAccount(sql: Db, organizationId: string, id: string): Promise<boolean> {
  const rows = await sql`
    delete from members where id = ${id} and organization_id = ${organizationId} and kind = 'service_account'`;
  if (rows.count !== 1) return false;
  await sql`delete from tokens where subject_id = ${id} and organization_id = ${organizationId}`;
  await sql`delete from host_authentication_tokens where subject_id = ${id} and organization_id = ${organizationId}`;
  return true;
}
