import type { Db } from "./sql.js";

export interface DbOrganization {
  id: string;
  name: string;
  created_at: Date;
}

export async function createOrganization(sql: Db, name: string): Promise<DbOrganization> {
  const [row] = await sql<DbOrganization[]>`
    insert into organizations (name) values (${name}) returning id, name, created_at`;
  return row as DbOrganization;
}

export function listOrganizations(sql: Db): Promise<DbOrganization[]> {
  return sql<DbOrganization[]>`select id, name, created_at from organizations order by created_at, id`;
}

export async function countOrganizations(sql: Db): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from organizations`;
  return row?.n ?? 0;
}
