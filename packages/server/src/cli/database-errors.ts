import { isConnectionError } from "../db/index.js";

/**
 * Database constraint violations, said the way a CLI user can act on them. Keyed by the
 * constraint names Postgres gives the constraints of db/migrations/0001_identity.sql.
 */
const messages: Record<string, string> = {
  members_organization_id_fkey: "no such organization",
  groups_organization_id_fkey: "no such organization",
  groups_organization_id_name_key: "a group with that name already exists in the organization",
  organizations_name_check: "the name must be 1 to 127 characters",
};

export function describeDatabaseError(error: unknown): string | undefined {
  const e = error as { code?: string; constraint_name?: string };
  if (typeof e?.code !== "string") return undefined;
  if (e.constraint_name && messages[e.constraint_name]) return messages[e.constraint_name];
  if (e.code === "23505") return "that already exists";
  if (e.code === "23503") return "a referenced record does not exist";
  if (isConnectionError(error)) return "cannot reach the database";
  return undefined;
}
