/** SQL for groups and their memberships. */
import { containsPattern, type Db } from "./sql.js";

export interface DbGroup {
  id: string;
  organization_id: string;
  name: string;
  created_at: Date;
  member_ids: string[];
}

export async function createGroup(sql: Db, organizationId: string, name: string): Promise<DbGroup> {
  const [row] = await sql<DbGroup[]>`
    insert into groups (organization_id, name) values (${organizationId}, ${name})
    returning id, organization_id, name, created_at, '{}'::uuid[] as member_ids`;
  return row as DbGroup;
}

/**
 * Adds a member to a group of the same org; the new membership's id, or undefined when
 * the member was in the group already. The composite foreign keys reject a member of
 * another org (23503, mapped to not_found), so the org check cannot be forgotten.
 */
export async function addGroupMember(sql: Db, groupId: string, memberId: string): Promise<string | undefined> {
  const [row] = await sql<{ id: string }[]>`
    insert into group_members (group_id, member_id, organization_id)
    select g.id, ${memberId}, g.organization_id from groups g where g.id = ${groupId}
    on conflict do nothing
    returning id`;
  return row?.id;
}

export function listGroups(sql: Db, organizationId: string): Promise<DbGroup[]> {
  return sql<DbGroup[]>`
    select g.id, g.organization_id, g.name, g.created_at,
           coalesce(array_agg(gm.member_id order by gm.created_at) filter (where gm.member_id is not null),
                    '{}') as member_ids
      from groups g left join group_members gm on gm.group_id = g.id
     where g.organization_id = ${organizationId}
     group by g.id order by g.created_at, g.id`;
}

export async function findGroup(sql: Db, id: string): Promise<DbGroup | undefined> {
  const [row] = await sql<DbGroup[]>`
    select id, organization_id, name, created_at, '{}'::uuid[] as member_ids from groups where id = ${id}`;
  return row;
}

/** A group as GroupService shows it. */
export interface DbGroupRecord {
  id: string;
  organization_id: string;
  name: string;
  description: string;
  created_at: Date;
  updated_at: Date;
  member_count: number;
}

const groupColumns = (sql: Db) =>
  sql`g.id, g.organization_id, g.name, g.description, g.created_at, g.updated_at,
      (select count(*)::int from group_members gm where gm.group_id = g.id) as member_count`;

/** A second group of the same name in the org raises 23505 (unique (organization_id, name)). */
export async function insertGroup(
  sql: Db,
  g: { organizationId: string; name: string; description: string; now: Date },
): Promise<DbGroupRecord> {
  const [row] = await sql<DbGroupRecord[]>`
    insert into groups (organization_id, name, description, created_at, updated_at)
    values (${g.organizationId}, ${g.name}, ${g.description}, ${g.now}, ${g.now})
    returning id, organization_id, name, description, created_at, updated_at, 0 as member_count`;
  return row as DbGroupRecord;
}

/** A group of the org, by id or by name; another org's group is not found. */
export async function findOrganizationGroup(
  sql: Db,
  organizationId: string,
  by: { id: string } | { name: string },
): Promise<DbGroupRecord | undefined> {
  const [row] = await sql<DbGroupRecord[]>`
    select ${groupColumns(sql)} from groups g
     where g.organization_id = ${organizationId}
       and ${"id" in by ? sql`g.id = ${by.id}` : sql`g.name = ${by.name}`}`;
  return row;
}

export interface GroupFilter {
  organizationId: string;
  /** Lower-case substring of the name; "" for any. */
  search: string;
  /** Empty for any group. */
  groupIds: string[];
  /** Leave out the groups holding a policy on this runner. */
  excludeAssignedToRunner: string | undefined;
  /** A filter no group here matches (e.g. system-managed groups, which do not exist here). */
  none: boolean;
}

/** One page in (created_at, id) order, served by groups_list_idx. */
export function listOrganizationGroups(
  sql: Db,
  q: GroupFilter & { after: { createdAt: Date; id: string } | undefined; limit: number },
): Promise<DbGroupRecord[]> {
  if (q.none) return Promise.resolve([]);
  const pattern = containsPattern(q.search);
  return sql<DbGroupRecord[]>`
    select ${groupColumns(sql)} from groups g
     where g.organization_id = ${q.organizationId}
       ${q.search ? sql`and lower(g.name) like ${pattern}` : sql``}
       ${q.groupIds.length > 0 ? sql`and g.id = any(${q.groupIds}::uuid[])` : sql``}
       ${
         q.excludeAssignedToRunner
           ? sql`and not exists (select 1 from runner_policies p
                                  where p.group_id = g.id and p.runner_id = ${q.excludeAssignedToRunner})`
           : sql``
       }
       ${q.after ? sql`and (g.created_at, g.id) > (${q.after.createdAt}, ${q.after.id}::uuid)` : sql``}
     order by g.created_at, g.id
     limit ${q.limit}`;
}

/** Sets name and description; another name already in the org raises 23505. */
export async function updateGroup(
  sql: Db,
  organizationId: string,
  id: string,
  u: { name: string; description: string; now: Date },
): Promise<DbGroupRecord | undefined> {
  const [row] = await sql<DbGroupRecord[]>`
    update groups g set name = ${u.name}, description = ${u.description}, updated_at = ${u.now}
     where g.id = ${id} and g.organization_id = ${organizationId}
    returning ${groupColumns(sql)}`;
  return row;
}

/** Memberships and runner policies of the group go with it (foreign keys on delete cascade). */
export async function deleteGroup(sql: Db, organizationId: string, id: string): Promise<boolean> {
  const rows = await sql`delete from groups where id = ${id} and organization_id = ${organizationId}`;
  return rows.count === 1;
}

/** A membership with what GroupMembership shows of its member. */
export interface DbMembership {
  id: string;
  group_id: string;
  member_id: string;
  kind: "user" | "service_account";
  name: string;
  created_at: Date;
}

const membershipColumns = (sql: Db) => sql`gm.id, gm.group_id, gm.member_id, m.kind, m.name, gm.created_at`;

/**
 * Adds a member of the given kind to a group, both of the org; undefined when either is not
 * there. The member already in the group raises 23505 (the primary key).
 */
export async function insertMembership(
  sql: Db,
  p: { organizationId: string; groupId: string; memberId: string; kind: "user" | "service_account"; now: Date },
): Promise<DbMembership | undefined> {
  const [row] = await sql<DbMembership[]>`
    with added as (
      insert into group_members (group_id, member_id, organization_id, created_at)
      select g.id, m.id, g.organization_id, ${p.now}
        from groups g join members m on m.organization_id = g.organization_id
       where g.id = ${p.groupId} and g.organization_id = ${p.organizationId}
         and m.id = ${p.memberId} and m.kind = ${p.kind}
      returning id, group_id, member_id, created_at)
    select a.id, a.group_id, a.member_id, m.kind, m.name, a.created_at
      from added a join members m on m.id = a.member_id`;
  return row;
}

/** A member's membership of a group of the org. */
export async function findMembership(
  sql: Db,
  q: { organizationId: string; groupId: string; memberId: string; kind: "user" | "service_account" },
): Promise<DbMembership | undefined> {
  const [row] = await sql<DbMembership[]>`
    select ${membershipColumns(sql)} from group_members gm join members m on m.id = gm.member_id
     where gm.organization_id = ${q.organizationId} and gm.group_id = ${q.groupId}
       and gm.member_id = ${q.memberId} and m.kind = ${q.kind}`;
  return row;
}

export async function findMembershipById(
  sql: Db,
  organizationId: string,
  id: string,
): Promise<DbMembership | undefined> {
  const [row] = await sql<DbMembership[]>`
    select ${membershipColumns(sql)} from group_members gm join members m on m.id = gm.member_id
     where gm.id = ${id} and gm.organization_id = ${organizationId}`;
  return row;
}

/** One page of a group's members in (created_at, id) order, served by group_members_list_idx. */
export function listMemberships(
  sql: Db,
  q: {
    groupId: string;
    /** Lower-case substring of the member's name; "" for any. */
    search: string;
    after: { createdAt: Date; id: string } | undefined;
    limit: number;
  },
): Promise<DbMembership[]> {
  const pattern = containsPattern(q.search);
  return sql<DbMembership[]>`
    select ${membershipColumns(sql)} from group_members gm join members m on m.id = gm.member_id
     where gm.group_id = ${q.groupId}
       ${q.search ? sql`and lower(m.name) like ${pattern}` : sql``}
       ${q.after ? sql`and (gm.created_at, gm.id) > (${q.after.createdAt}, ${q.after.id}::uuid)` : sql``}
     order by gm.created_at, gm.id
     limit ${q.limit}`;
}

export async function deleteMembership(sql: Db, organizationId: string, id: string): Promise<boolean> {
  const rows = await sql`delete from group_members where id = ${id} and organization_id = ${organizationId}`;
  return rows.count === 1;
}
