/** SQL for the members of an org: users and service accounts. */
import type { Db } from "./sql.js";

export type OrgRole = "admin" | "member";

export type MemberKind = "user" | "service_account";

export interface DbMember {
  id: string;
  organization_id: string;
  kind: MemberKind;
  name: string;
  email: string | null;
  role: OrgRole;
  created_at: Date;
}

export interface CreateMemberInput {
  organizationId: string;
  kind: MemberKind;
  name: string;
  email?: string | undefined;
  role: OrgRole;
}

export async function createMember(sql: Db, input: CreateMemberInput): Promise<DbMember> {
  const [row] = await sql<DbMember[]>`
    insert into members (organization_id, kind, name, email, role)
    values (${input.organizationId}, ${input.kind}, ${input.name}, ${input.email ?? null}, ${input.role})
    returning id, organization_id, kind, name, email, role, created_at`;
  return row as DbMember;
}

export async function findMember(sql: Db, id: string): Promise<DbMember | undefined> {
  const [row] = await sql<DbMember[]>`
    select id, organization_id, kind, name, email, role, created_at from members where id = ${id}`;
  return row;
}

export function listMembers(sql: Db, organizationId: string): Promise<DbMember[]> {
  // members_organization_idx serves both the filter and the order.
  return sql<DbMember[]>`
    select id, organization_id, kind, name, email, role, created_at from members
     where organization_id = ${organizationId} order by created_at, id`;
}
