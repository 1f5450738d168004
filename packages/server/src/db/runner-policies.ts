/** SQL for runner policies: (runner, group) → role, both of one org (composite foreign keys). */
import type { Db } from "./sql.js";

export type DbPolicyRole = "admin" | "user";

export interface DbRunnerPolicy {
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
    returning runner_id, group_id, role, created_at`;
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
    returning runner_id, group_id, role, created_at`;
  return row;
}

export async function deletePolicy(sql: Db, runnerId: string, groupId: string): Promise<boolean> {
  const rows = await sql`delete from runner_policies where runner_id = ${runnerId} and group_id = ${groupId}`;
  return rows.count === 1;
}

/** One page in (created_at, group_id) order, served by runner_policies_list_idx. */
export function listPolicies(
  sql: Db,
  runnerId: string,
  after: { createdAt: Date; id: string } | undefined,
  limit: number,
): Promise<DbRunnerPolicy[]> {
  return sql<DbRunnerPolicy[]>`
    select runner_id, group_id, role, created_at from runner_policies
     where runner_id = ${runnerId}
       ${after ? sql`and (created_at, group_id) > (${after.createdAt}, ${after.id}::uuid)` : sql``}
     order by created_at, group_id
     limit ${limit}`;
}
