/**
 * SQL for who a user is at an OpenID Connect issuer (docs/sign-in.md): (org, issuer,
 * subject) names one member of the org.
 */
import { createMember } from "./members.js";
import type { Db } from "./sql.js";

export interface DbIdentifiedUser {
  id: string;
  organization_id: string;
  suspended: boolean;
}

/**
 * The user with that identity in the org, created the first time as a plain member with the
 * verified name and email. An advisory lock on the identity serializes two first logins of
 * the same person, so they make one user, not two.
 */
export async function findOrCreateIdentifiedUser(
  tx: Db,
  identity: { organizationId: string; issuer: string; subject: string },
  profile: { name: string; email: string },
): Promise<{ user: DbIdentifiedUser; created: boolean }> {
  await tx`select pg_advisory_xact_lock(hashtextextended(${`${identity.organizationId} ${identity.issuer} ${identity.subject}`}, 0))`;
  const [found] = await tx<DbIdentifiedUser[]>`
    select m.id, m.organization_id, (m.suspended_at is not null) as suspended
      from member_identities i
      join members m on m.id = i.member_id and m.organization_id = i.organization_id and m.kind = 'user'
     where i.organization_id = ${identity.organizationId} and i.issuer = ${identity.issuer}
       and i.subject = ${identity.subject}`;
  if (found) return { user: found, created: false };
  const member = await createMember(tx, {
    organizationId: identity.organizationId,
    kind: "user",
    name: profile.name,
    email: profile.email,
    role: "member",
  });
  await tx`
    insert into member_identities (organization_id, issuer, subject, member_id)
    values (${identity.organizationId}, ${identity.issuer}, ${identity.subject}, ${member.id})`;
  return { user: { id: member.id, organization_id: member.organization_id, suspended: false }, created: true };
}
