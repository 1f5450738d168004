import type postgres from "postgres";
/** SQL for SCM integrations. The OAuth secret is stored only sealed for the runner. */
import type { Db } from "./sql.js";

export interface DbScmIntegration {
  id: string;
  runner_id: string;
  organization_id: string;
  scm_id: string;
  host: string;
  oauth_client_id: string | null;
  oauth_encrypted_client_secret: Buffer | null;
  issuer_url: string | null;
  pat: boolean;
  virtual_directory: string | null;
  created_at: Date;
  updated_at: Date;
}

export type ScmIntegrationColumns = Partial<
  Pick<
    DbScmIntegration,
    "oauth_client_id" | "oauth_encrypted_client_secret" | "issuer_url" | "pat" | "virtual_directory"
  >
>;

export async function insertScmIntegration(
  sql: Db,
  i: { runnerId: string; organizationId: string; scmId: string; host: string; now: Date } & ScmIntegrationColumns,
): Promise<DbScmIntegration> {
  const [row] = await sql<DbScmIntegration[]>`
    insert into scm_integrations (runner_id, organization_id, scm_id, host, oauth_client_id,
                                  oauth_encrypted_client_secret, issuer_url, pat, virtual_directory,
                                  created_at, updated_at)
    values (${i.runnerId}, ${i.organizationId}, ${i.scmId}, ${i.host}, ${i.oauth_client_id ?? null},
            ${i.oauth_encrypted_client_secret ?? null}, ${i.issuer_url ?? null}, ${i.pat ?? false},
            ${i.virtual_directory ?? null}, ${i.now}, ${i.now})
    returning *`;
  return row as DbScmIntegration;
}

export async function findScmIntegration(
  sql: Db,
  organizationId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<DbScmIntegration | undefined> {
  const [row] = await sql<DbScmIntegration[]>`
    select * from scm_integrations where id = ${id} and organization_id = ${organizationId}
    ${options.forUpdate ? sql`for update` : sql``}`;
  return row;
}

export async function findScmIntegrationByHost(
  sql: Db,
  runnerId: string,
  host: string,
): Promise<DbScmIntegration | undefined> {
  const [row] = await sql<DbScmIntegration[]>`
    select * from scm_integrations where runner_id = ${runnerId} and host = ${host}`;
  return row;
}

export async function updateScmIntegration(sql: Db, id: string, set: ScmIntegrationColumns, now: Date): Promise<void> {
  await sql`update scm_integrations set ${sql({ ...set, updated_at: now })} where id = ${id}`;
}

export async function deleteScmIntegration(sql: Db, id: string): Promise<boolean> {
  const rows = await sql`delete from scm_integrations where id = ${id}`;
  return rows.count === 1;
}

export function listScmIntegrations(
  sql: Db,
  q: {
    organizationId: string;
    /** Which runners (row `r`) the caller may see: auth's visibleRunnerCondition(). */
    visibleRunners: postgres.Fragment;
    runnerIds: string[];
    after: { createdAt: Date; id: string } | undefined;
    limit: number;
  },
): Promise<DbScmIntegration[]> {
  return sql<DbScmIntegration[]>`
    select i.* from scm_integrations i join runners r on r.id = i.runner_id
     where i.organization_id = ${q.organizationId}
       and ${q.visibleRunners}
       ${q.runnerIds.length > 0 ? sql`and i.runner_id = any(${q.runnerIds}::uuid[])` : sql``}
       ${q.after ? sql`and (i.created_at, i.id) > (${q.after.createdAt}, ${q.after.id}::uuid)` : sql``}
     order by i.created_at, i.id
     limit ${q.limit}`;
}

/** A runner's own integrations (ListRunnerSCMIntegrations), optionally some ids, in list order. */
export function listRunnerScmIntegrations(
  sql: Db,
  q: { runnerId: string; ids: string[]; after: { createdAt: Date; id: string } | undefined; limit: number },
): Promise<DbScmIntegration[]> {
  return sql<DbScmIntegration[]>`
    select * from scm_integrations
     where runner_id = ${q.runnerId}
       ${q.ids.length > 0 ? sql`and id = any(${q.ids}::uuid[])` : sql``}
       ${q.after ? sql`and (created_at, id) > (${q.after.createdAt}, ${q.after.id}::uuid)` : sql``}
     order by created_at, id
     limit ${q.limit}`;
}
