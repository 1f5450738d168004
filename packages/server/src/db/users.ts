/**
 * SQL for users as UserService sees them: the members of kind `user`, with their suspension.
 * Service accounts live in the same table (db/members.ts) but are never users.
 */
import type { DbMember } from "./members.js";
import type { Db } from "./sql.js";

export interface DbUser extends DbMember {
  kind: "user";
  /** When an org admin suspended the user; null while the user is active. */
  suspended_at: Date | null;
}

const userColumns = ["id", "organization_id", "kind", "name", "email", "role", "created_at", "suspended_at"] as const;

/** A user of the org; undefined for an unknown id, a service account or another org's member. */
export async function findUser(sql: Db, organizationId: string, id: string): Promise<DbUser | undefined> {
  const [row] = await sql<DbUser[]>`
    select ${sql(userColumns)} from members
     where id = ${id} and organization_id = ${organizationId} and kind = 'user'`;
  return row;
}

/**
 * Suspends the user (keeping the first suspension's time when already suspended) or lifts
 * the suspension. False when the org has no such user.
 */
export async function setUserSuspended(
  sql: Db,
  organizationId: string,
  id: string,
  suspended: boolean,
  now: Date,
): Promise<boolean> {
  const rows = await sql`
    update members set suspended_at = ${suspended ? sql`coalesce(suspended_at, ${now})` : null}
     where id = ${id} and organization_id = ${organizationId} and kind = 'user'`;
  return rows.count === 1;
}
