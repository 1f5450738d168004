import type { Db } from "./sql.js";

export interface DbOrganization {
  id: string;
  name: string;
  created_at: Date;
  updated_at: Date;
  /** Lower-cased, unique (migration 0007). */
  invite_domains: string[];
}

const columns = ["id", "name", "created_at", "updated_at", "invite_domains"];

export async function createOrganization(sql: Db, name: string): Promise<DbOrganization> {
  const [row] = await sql<DbOrganization[]>`
    insert into organizations (name) values (${name}) returning ${sql(columns)}`;
  return row as DbOrganization;
}

export async function findOrganization(sql: Db, id: string): Promise<DbOrganization | undefined> {
  const [row] = await sql<DbOrganization[]>`select ${sql(columns)} from organizations where id = ${id}`;
  return row;
}

export interface OrganizationChanges {
  name?: string | undefined;
  inviteDomains?: string[] | undefined;
}

/**
 * Writes only the given columns, in one statement, so two admins changing different
 * settings at once both land. Undefined when the org does not exist.
 */
export async function updateOrganization(
  sql: Db,
  id: string,
  changes: OrganizationChanges,
  now: Date,
): Promise<DbOrganization | undefined> {
  const set: Record<string, unknown> = { updated_at: now };
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.inviteDomains !== undefined) set.invite_domains = sql.array(changes.inviteDomains);
  const [row] = await sql<DbOrganization[]>`
    update organizations set ${sql(set)} where id = ${id} returning ${sql(columns)}`;
  return row;
}

export function listOrganizations(sql: Db): Promise<DbOrganization[]> {
  return sql<DbOrganization[]>`select ${sql(columns)} from organizations order by created_at, id`;
}

export async function countOrganizations(sql: Db): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from organizations`;
  return row?.n ?? 0;
}
