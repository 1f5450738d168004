/**
 * SQL for OpenID Connect logins under way (docs/sign-in.md): stored at start, taken (and
 * deleted) once by the callback. The state and the browser binding are stored as hashes.
 */
import { hashToken } from "../crypto/tokens.js";
import type { Db } from "./sql.js";

export interface DbOidcLogin {
  sso_configuration_id: string;
  code_verifier: string;
  nonce: string;
  return_to: string;
  expires_at: Date;
}

export async function saveOidcLogin(
  sql: Db,
  login: DbOidcLogin & { state: string; binding: string },
  now: Date,
): Promise<void> {
  // Logins nobody finished are dropped as new ones start (oidc_logins_expires_idx).
  await sql`delete from oidc_logins where expires_at <= ${now}`;
  await sql`
    insert into oidc_logins (state_hash, binding_hash, sso_configuration_id, code_verifier, nonce, return_to, expires_at)
    values (${hashToken(login.state)}, ${hashToken(login.binding)}, ${login.sso_configuration_id},
            ${login.code_verifier}, ${login.nonce}, ${login.return_to}, ${login.expires_at})`;
}

/**
 * The login with that state, started by the browser holding that binding, not expired —
 * deleted in the same statement, so a replayed callback finds nothing.
 */
export async function takeOidcLogin(
  sql: Db,
  state: string,
  binding: string,
  now: Date,
): Promise<DbOidcLogin | undefined> {
  const [row] = await sql<DbOidcLogin[]>`
    delete from oidc_logins
     where state_hash = ${hashToken(state)} and binding_hash = ${hashToken(binding)} and expires_at > ${now}
    returning sso_configuration_id, code_verifier, nonce, return_to, expires_at`;
  return row;
}
