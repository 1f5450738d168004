/**
 * Test data through the same functions the CLI uses: an org with an admin, a member and a
 * service account, each with a personal access token.
 */
import type { Interceptor } from "@connectrpc/connect";
import { bootstrap } from "../admin/bootstrap.js";
import type { OrgRole } from "../auth/index.js";
import { addGroupMember, createGroup } from "../db/groups.js";
import type { Db, Sql } from "../db/index.js";
import { createMember, type DbMember, type MemberKind } from "../db/members.js";
import type { DbOrganization } from "../db/organizations.js";
import { issueToken } from "../db/tokens.js";

export interface SeededMember {
  member: DbMember;
  /** Personal access token of the member. */
  token: string;
}

export interface SeededOrganization {
  organization: DbOrganization;
  admin: SeededMember;
  member: SeededMember;
  serviceAccount: SeededMember;
}

export async function seedOrganization(sql: Sql, name = "Acme"): Promise<SeededOrganization> {
  const boot = await bootstrap(sql, { organizationName: name, adminName: `${name} admin` });
  const admin = { member: boot.admin, token: boot.secret };
  const member = await seedMember(sql, boot.organization.id, { name: `${name} member` });
  const serviceAccount = await seedMember(sql, boot.organization.id, {
    name: `${name} robot`,
    kind: "service_account",
  });
  return { organization: boot.organization, admin, member, serviceAccount };
}

export async function seedMember(
  sql: Db,
  organizationId: string,
  options: { name: string; kind?: MemberKind; role?: OrgRole },
): Promise<SeededMember> {
  const member = await createMember(sql, {
    organizationId,
    kind: options.kind ?? "user",
    name: options.name,
    role: options.role ?? "member",
  });
  const { token } = await issueToken(sql, {
    kind: "personal_access",
    organizationId,
    subjectId: member.id,
    principal: member.kind,
    expiresAt: null,
  });
  return { member, token };
}

/** A client interceptor that sends `Authorization: Bearer <token>`. */
export function bearer(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}

export type SeedRunnerKind = "local" | "remote" | "local_configuration";

/**
 * A runner row with its tenancy columns. Until CreateRunner lands (runners issue) this is
 * the only way to get a runner; that issue replaces these with real CreateRunner calls.
 */
export async function seedRunner(
  sql: Db,
  input: { organizationId: string; kind: SeedRunnerKind; creator: DbMember; name?: string },
): Promise<{ id: string }> {
  const [row] = await sql<{ id: string }[]>`
    insert into runners (organization_id, name, kind, creator_id, creator_principal)
    values (${input.organizationId}, ${input.name ?? `${input.kind} runner`}, ${input.kind},
            ${input.creator.id}, ${input.creator.kind})
    returning id`;
  return row as { id: string };
}

/** A runner access token (PRINCIPAL_RUNNER) for a runner. */
export async function seedRunnerToken(sql: Db, organizationId: string, runnerId: string): Promise<string> {
  const { token } = await issueToken(sql, {
    kind: "runner_access",
    organizationId,
    subjectId: runnerId,
    principal: "runner",
    expiresAt: null,
  });
  return token;
}

/** A group with members and, optionally, a policy on a runner. */
export async function seedGroup(
  sql: Db,
  organizationId: string,
  name: string,
  memberIds: string[],
  policy?: { runnerId: string; role: "admin" | "user" },
): Promise<{ id: string }> {
  const group = await createGroup(sql, organizationId, name);
  for (const id of memberIds) await addGroupMember(sql, group.id, id);
  if (policy) {
    await sql`insert into runner_policies (runner_id, group_id, organization_id, role)
              values (${policy.runnerId}, ${group.id}, ${organizationId}, ${policy.role})`;
  }
  return { id: group.id };
}
