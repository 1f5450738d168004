/** SQL for runner policies: (runner, group) → role, both of one org (composite foreign keys). */
import type postgres from "postgres";
import type { Db } from "./sql.js";

export type DbPolicyRole = "admin" | "user";

export interface DbRunnerPolicy {
  /** The policy's own id: the id of the same fact as a GroupService RoleAssignment. */
  id: string;
  organization_id: string;
  runner_id: string;
  group_id: string;
  role: DbPolicyRole;
  created_at: Date;
}

/**
 * Inserts the policy; undefined when the group is not in the runner's org (the select finds
 * no group there). A second policy for the same group raises 23505 → already_exists.
 */
export async function insertPolicy(
  sql: Db,
  p: { organizationId: string; runnerId: string; groupId: string; role: DbPolicyRole; now: Date },
): Promise<DbRunnerPolicy | undefined> {
  const [row] = await sql<DbRunnerPolicy[]>`
    insert into runner_policies (runner_id, group_id, organization_id, role, created_at)
    select ${p.runnerId}, g.id, g.organization_id, ${p.role}, ${p.now}
      from groups g where g.id = ${p.groupId} and g.organization_id = ${p.organizationId}
    returning id, organization_id, runner_id, group_id, role, created_at`;
  return row;
}

export async function updatePolicy(
  sql: Db,
  runnerId: string,
  groupId: string,
  role: DbPolicyRole,
): Promise<DbRunnerPolicy | undefined> {
  const [row] = await sql<DbRunnerPolicy[]>`
    update runner_policies set role = ${role} where runner_id = ${runnerId} and group_id = ${groupId}
    returning id, organization_id, runner_id, group_id, role, created_at`;
  return row;
}

/** The removed policy's id; undefined when there was none. */
export async function deletePolicy(sql: Db, runnerId: string, groupId: string): Promise<string | undefined> {
  const [row] = await sql<{ id: string }[]>`
    delete from runner_policies where runner_id = ${runnerId} and group_id = ${groupId} returning id`;
  return row?.id;
}

/** One page in (created_at, group_id) order, served by runner_policies_list_idx. */
export function listPolicies(
  sql: Db,
  runnerId: string,
  after: { createdAt: Date; id: string } | undefined,
  limit: number,
): Promise<DbRunnerPolicy[]> {
  return sql<DbRunnerPolicy[]>`
    select id, organization_id, runner_id, group_id, role, created_at from runner_policies
     where runner_id = ${runnerId}
       ${after ? sql`and (created_at, group_id) > (${after.createdAt}, ${after.id}::uuid)` : sql``}
     order by created_at, group_id
     limit ${limit}`;
}

/**
 * GroupService's view of the same rows: role assignments on runners. `visibleRunner` is the
 * caller's condition on the runner row `r` (auth/runner-access.ts decides it; db/ only
 * applies it).
 */
export interface RoleAssignmentFilter {
  organizationId: string;
  /** Undefined for any role; empty matches nothing. */
  roles: DbPolicyRole[] | undefined;
  groupId: string | undefined;
  /** Only policies of the groups this member belongs to. */
  memberId: string | undefined;
  /** Empty for any runner. */
  runnerIds: string[];
  /** A filter nothing here matches (e.g. a resource type other than runners). */
  none: boolean;
}

/** One page in (created_at, id) order, served by runner_policies_org_list_idx. */
export function listRoleAssignments(
  sql: Db,
  q: RoleAssignmentFilter & {
    visibleRunner: postgres.Fragment;
    after: { createdAt: Date; id: string } | undefined;
    limit: number;
  },
): Promise<DbRunnerPolicy[]> {
  if (q.none || q.roles?.length === 0) return Promise.resolve([]);
  return sql<DbRunnerPolicy[]>`
    select p.id, p.organization_id, p.runner_id, p.group_id, p.role, p.created_at
      from runner_policies p join runners r on r.id = p.runner_id
     where p.organization_id = ${q.organizationId} and ${q.visibleRunner}
       ${q.roles ? sql`and p.role = any(${q.roles}::text[])` : sql``}
       ${q.groupId ? sql`and p.group_id = ${q.groupId}` : sql``}
       ${
         q.memberId
           ? sql`and exists (select 1 from group_members gm where gm.group_id = p.group_id and gm.member_id = ${q.memberId})`
           : sql``
       }
       ${q.runnerIds.length > 0 ? sql`and p.runner_id = any(${q.runnerIds}::uuid[])` : sql``}
       ${q.after ? sql`and (p.created_at, p.id) > (${q.after.createdAt}, ${q.after.id}::uuid)` : sql``}
     order by p.created_at, p.id
     limit ${q.limit}`;
}

/** A policy of the org by its id, on a runner the caller's condition lets it see. */
export async function findPolicyById(
  sql: Db,
  organizationId: string,
  id: string,
  visibleRunner: postgres.Fragment,
): Promise<DbRunnerPolicy | undefined> {
  const [row] = await sql<DbRunnerPolicy[]>`
    select p.id, p.organization_id, p.runner_id, p.group_id, p.role, p.created_at
      from runner_policies p join runners r on r.id = p.runner_id
     where p.id = ${id} and p.organization_id = ${organizationId} and ${visibleRunner}`;
  return row;
}

export async function deletePolicyById(sql: Db, organizationId: string, id: string): Promise<boolean> {
  const rows = await sql`delete from runner_policies where id = ${id} and organization_id = ${organizationId}`;
  return rows.count === 1;
}
