/**
 * The one rule that turns a credential into a Caller (docs/identity.md, docs/sign-in.md):
 * a bearer token and a session cookie are looked up differently, but read the same facts
 * about their subject and are judged here, once. Any failure is `undefined`, so every bad
 * credential gets the same answer.
 */
import type { DbTokenForAuth } from "../db/tokens.js";
import { type Caller, principalFromDb } from "./caller.js";

/** What a credential lookup (findTokenForAuth, findSessionForAuth) yields. */
export type CredentialForAuth = Pick<
  DbTokenForAuth,
  | "id"
  | "organization_id"
  | "subject_id"
  | "principal"
  | "expires_at"
  | "revoked_at"
  | "last_used_at"
  | "read_only"
  | "member_role"
  | "subject_exists"
  | "member_suspended"
  | "member_valid_until"
>;

export function credentialCaller(
  row: CredentialForAuth,
  credential: Caller["credential"],
  now: Date,
): Caller | undefined {
  if (!row.subject_exists) return undefined;
  if (row.revoked_at || (row.expires_at && row.expires_at <= now)) return undefined;
  if (row.principal !== "runner" && (!row.member_role || row.member_suspended)) return undefined;
  if (row.member_valid_until && row.member_valid_until <= now) return undefined;
  return {
    subject: { id: row.subject_id, principal: principalFromDb(row.principal) },
    organizationId: row.organization_id,
    orgRole: row.member_role ?? undefined,
    tokenId: row.id,
    credential,
  };
}
