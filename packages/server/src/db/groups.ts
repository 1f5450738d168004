/** SQL for groups and their memberships. */
import type { Db } from "./sql.js";

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
 * Adds a member to a group of the same org. The composite foreign keys reject a member of
 * another org (23503, mapped to not_found), so the org check cannot be forgotten.
 */
export async function addGroupMember(sql: Db, groupId: string, memberId: string): Promise<boolean> {
  const rows = await sql`
    insert into group_members (group_id, member_id, organization_id)
    select g.id, ${memberId}, g.organization_id from groups g where g.id = ${groupId}
    on conflict do nothing`;
  return rows.count === 1;
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
