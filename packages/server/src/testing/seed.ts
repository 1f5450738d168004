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

/** A group with members, as the CLI makes it (groups have no API of their own). */
export async function seedGroup(
  sql: Db,
  organizationId: string,
  name: string,
  memberIds: string[],
): Promise<{ id: string }> {
  const group = await createGroup(sql, organizationId, name);
  for (const id of memberIds) await addGroupMember(sql, group.id, id);
  return { id: group.id };
}
