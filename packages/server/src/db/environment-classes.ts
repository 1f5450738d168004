import type postgres from "postgres";
/** SQL for environment classes (docs/configuration.md). */
import type { DbRunnerKind, DbRunnerProvider } from "./runners.js";
import type { Db } from "./sql.js";

export interface DbEnvironmentClass {
  id: string;
  runner_id: string;
  organization_id: string;
  display_name: string;
  description: string;
  configuration: { key: string; value: string }[];
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface NewEnvironmentClass {
  id?: string;
  runnerId: string;
  organizationId: string;
  displayName: string;
  description: string;
  configuration: { key: string; value: string }[];
  enabled?: boolean;
  now: Date;
}

export async function insertEnvironmentClass(sql: Db, c: NewEnvironmentClass): Promise<DbEnvironmentClass> {
  const [row] = await sql<DbEnvironmentClass[]>`
    insert into environment_classes ${sql({
      ...(c.id ? { id: c.id } : {}),
      runner_id: c.runnerId,
      organization_id: c.organizationId,
      display_name: c.displayName,
      description: c.description,
      configuration: sql.json(c.configuration),
      enabled: c.enabled ?? true,
      created_at: c.now,
      updated_at: c.now,
    })}
    returning *`;
  return row as DbEnvironmentClass;
}

/**
 * Signup's upsert by id: a class the runner already has is updated in place; an id that
 * belongs to another runner is left alone (returns false). A runner cannot say "enabled
 * unset" (a proto3 bool), so new classes start enabled and `enabled` stays the admins' to
 * change: signing up again never flips it.
 */
export async function upsertEnvironmentClass(sql: Db, c: NewEnvironmentClass & { id: string }): Promise<boolean> {
  const rows = await sql`
    insert into environment_classes (id, runner_id, organization_id, display_name, description, configuration,
                                     enabled, created_at, updated_at)
    values (${c.id}, ${c.runnerId}, ${c.organizationId}, ${c.displayName}, ${c.description},
            ${sql.json(c.configuration)}, true, ${c.now}, ${c.now})
    on conflict (id) do update
       set display_name = excluded.display_name, description = excluded.description,
           configuration = excluded.configuration, updated_at = excluded.updated_at
     where environment_classes.runner_id = excluded.runner_id`;
  return rows.count === 1;
}

export async function findEnvironmentClass(
  sql: Db,
  organizationId: string,
  id: string,
): Promise<DbEnvironmentClass | undefined> {
  const [row] = await sql<DbEnvironmentClass[]>`
    select * from environment_classes where id = ${id} and organization_id = ${organizationId}`;
  return row;
}

export async function updateEnvironmentClass(
  sql: Db,
  id: string,
  changes: { display_name?: string | undefined; description?: string | undefined; enabled?: boolean | undefined },
  now: Date,
): Promise<boolean> {
  const set = Object.fromEntries(Object.entries({ ...changes, updated_at: now }).filter(([, v]) => v !== undefined));
  const rows = await sql`update environment_classes set ${sql(set)} where id = ${id}`;
  return rows.count === 1;
}

export interface EnvironmentClassListQuery {
  organizationId: string;
  /** Which runners (row `r`) the caller may see: auth's visibleRunnerCondition(). */
  visibleRunners: postgres.Fragment;
  runnerIds: string[];
  enabled: boolean | undefined;
  runnerKinds: DbRunnerKind[];
  runnerProviders: DbRunnerProvider[];
  /** Only classes of runners that are ACTIVE: renewed since this time, no degradation, not being deleted. */
  activeSince: Date | undefined;
  after: { createdAt: Date; id: string } | undefined;
  limit: number;
}

/** One page in (created_at, id) order over environment_classes_org_idx, joined to the runner for visibility and filters. */
export function listEnvironmentClasses(sql: Db, q: EnvironmentClassListQuery): Promise<DbEnvironmentClass[]> {
  return sql<DbEnvironmentClass[]>`
    select c.* from environment_classes c join runners r on r.id = c.runner_id
     where c.organization_id = ${q.organizationId}
       and ${q.visibleRunners}
       ${q.runnerIds.length > 0 ? sql`and c.runner_id = any(${q.runnerIds}::uuid[])` : sql``}
       ${q.enabled !== undefined ? sql`and c.enabled = ${q.enabled}` : sql``}
       ${q.runnerKinds.length > 0 ? sql`and r.kind = any(${q.runnerKinds}::text[])` : sql``}
       ${q.runnerProviders.length > 0 ? sql`and r.provider = any(${q.runnerProviders}::text[])` : sql``}
       ${
         q.activeSince
           ? sql`and r.status_updated_at > ${q.activeSince} and r.status_message = '' and r.deleting_since is null`
           : sql``
       }
       ${q.after ? sql`and (c.created_at, c.id) > (${q.after.createdAt}, ${q.after.id}::uuid)` : sql``}
     order by c.created_at, c.id
     limit ${q.limit}`;
}

/** A runner's own classes (ListRunnerEnvironmentClasses), optionally some ids, in list order. */
export function listRunnerEnvironmentClasses(
  sql: Db,
  q: { runnerId: string; ids: string[]; after: { createdAt: Date; id: string } | undefined; limit: number },
): Promise<DbEnvironmentClass[]> {
  return sql<DbEnvironmentClass[]>`
    select * from environment_classes
     where runner_id = ${q.runnerId}
       ${q.ids.length > 0 ? sql`and id = any(${q.ids}::uuid[])` : sql``}
       ${q.after ? sql`and (created_at, id) > (${q.after.createdAt}, ${q.after.id}::uuid)` : sql``}
     order by created_at, id
     limit ${q.limit}`;
}
