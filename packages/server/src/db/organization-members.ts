/**
 * The users of an org as OrganizationService lists and administers them (ListMembers,
 * SetRole). Kept apart from members.ts, which creates and finds members of both kinds;
 * service accounts are ServiceAccountService's and are not listed here.
 */
import type postgres from "postgres";
import type { OrgRole } from "./members.js";
import { containsPattern, type Db } from "./sql.js";
import type { DbUser } from "./users.js";

export type DbUserStatus = "active" | "suspended";

export interface OrganizationUserFilter {
  organizationId: string;
  /** Lower-case substring of the name or email; "" for any. */
  search: string;
  /** Empty for any role. */
  roles: OrgRole[];
  /** Undefined for any status; empty matches nobody. */
  statuses: DbUserStatus[] | undefined;
  /** Empty for any user. */
  userIds: string[];
  /** Users in none of these groups. */
  excludeGroupIds: string[];
  /** Users in no group at all. */
  excludeMembersInAnyGroup: boolean;
}

export interface OrganizationUserPage extends OrganizationUserFilter {
  /** Join order (created_at, id), or by name: (lower(name), created_at, id). */
  sort: "joined" | "name";
  order: "asc" | "desc";
  /** For the name order, `key` is the last row's name (lower-cased by Postgres, as the order is). */
  after: { createdAt: Date; id: string; key?: string } | undefined;
  limit: number;
}

/**
 * One keyset page, ascending or descending. In join order, members_organization_idx
 * (organization_id, created_at, id) serves the filter, the order (scanned backwards for
 * descending) and the row comparison with the cursor, so page N costs what page 1 costs;
 * the other filters are checked on the rows it yields. By name, the cursor is the row
 * (lower(name), created_at, id), compared as a whole so that equal names continue in join
 * order; members_organization_name_idx (organization_id, lower(name), created_at, id), partial
 * on kind = 'user' (migration 0014), holds exactly these expressions, so the page is read from
 * it from the cursor on, either way, with no sort: keep the order, the cursor's row and the
 * literal `kind = 'user'` in step with it (db/organization-members.test.ts checks the plan).
 */
export function listOrganizationUsers(sql: Db, q: OrganizationUserPage): Promise<DbUser[]> {
  const op = q.order === "asc" ? sql`>` : sql`<`;
  const dir = q.order === "asc" ? sql`asc` : sql`desc`;
  const after = !q.after
    ? sql``
    : q.sort === "name"
      ? sql`and (lower(m.name), m.created_at, m.id) ${op} (lower(${q.after.key ?? ""}), ${q.after.createdAt}, ${q.after.id}::uuid)`
      : sql`and (m.created_at, m.id) ${op} (${q.after.createdAt}, ${q.after.id}::uuid)`;
  const order =
    q.sort === "name"
      ? sql`order by lower(m.name) ${dir}, m.created_at ${dir}, m.id ${dir}`
      : sql`order by m.created_at ${dir}, m.id ${dir}`;
  return sql<DbUser[]>`
    select m.id, m.organization_id, m.kind, m.name, m.email, m.role, m.created_at, m.suspended_at
      from members m
     where ${userConditions(sql, q)} ${after}
     ${order}
     limit ${q.limit}`;
}

/** How many users the filter matches, over all pages (ListMembers' `count`). */
export async function countOrganizationUsers(sql: Db, q: OrganizationUserFilter): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from members m where ${userConditions(sql, q)}`;
  return row?.n ?? 0;
}

function userConditions(sql: Db, q: OrganizationUserFilter): postgres.Fragment {
  const pattern = containsPattern(q.search);
  const statuses = q.statuses;
  return sql`m.organization_id = ${q.organizationId} and m.kind = 'user'
    ${q.search ? sql`and (lower(m.name) like ${pattern} or lower(coalesce(m.email, '')) like ${pattern})` : sql``}
    ${q.roles.length > 0 ? sql`and m.role = any(${q.roles}::text[])` : sql``}
    ${
      statuses === undefined
        ? sql``
        : statuses.length === 0
          ? sql`and false`
          : statuses.length === 1
            ? statuses[0] === "active"
              ? sql`and m.suspended_at is null`
              : sql`and m.suspended_at is not null`
            : sql``
    }
    ${q.userIds.length > 0 ? sql`and m.id = any(${q.userIds}::uuid[])` : sql``}
    ${
      q.excludeGroupIds.length > 0
        ? sql`and not exists (select 1 from group_members gm
                               where gm.member_id = m.id and gm.group_id = any(${q.excludeGroupIds}::uuid[]))`
        : sql``
    }
    ${q.excludeMembersInAnyGroup ? sql`and not exists (select 1 from group_members gm where gm.member_id = m.id)` : sql``}`;
}

/**
 * Locks the org's admin users, in id order, until the transaction ends, and returns them
 * with whether each is active (not suspended). Every change that can take the admin role
 * away (SetRole now; leaving or removing a member, suspending an admin later) takes this
 * lock first, so the "an active admin must remain" check it then makes cannot be raced: of
 * two transactions demoting the last two admins, the second waits for the first, and
 * Postgres re-reads the rows it waited for, so it sees one admin left. The id order keeps two
 * such transactions from deadlocking.
 */
export async function lockOrganizationAdmins(
  tx: Db,
  organizationId: string,
): Promise<{ id: string; active: boolean }[]> {
  return tx<{ id: string; active: boolean }[]>`
    select id, suspended_at is null as active from members
     where organization_id = ${organizationId} and kind = 'user' and role = 'admin'
     order by id
       for update`;
}

/** Sets a user's org role; false when the org has no such user. */
export async function setOrganizationUserRole(
  sql: Db,
  organizationId: string,
  userId: string,
  role: OrgRole,
): Promise<boolean> {
  const rows = await sql`
    update members set role = ${role}
     where id = ${userId} and organization_id = ${organizationId} and kind = 'user'`;
  return rows.count === 1;
}
