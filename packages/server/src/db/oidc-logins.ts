/**
 * SQL for OpenID Connect logins under way (docs/sign-in.md): stored at start, taken (and
 * deleted) once by the callback. The state and the browser binding are stored as hashes; the
 * PKCE verifier and the nonce encrypted under the key ring (crypto/secret-box.ts), bound to the
 * login by its state hash.
 */
import type { KeyRing } from "../crypto/index.js";
import { hashToken } from "../crypto/tokens.js";
import type { Db } from "./sql.js";

export interface DbOidcLogin {
  sso_configuration_id: string;
  code_verifier: string;
  nonce: string;
  return_to: string;
  expires_at: Date;
}

interface StoredOidcLogin {
  sso_configuration_id: string;
  key_id: string;
  code_verifier_ciphertext: Buffer;
  nonce_ciphertext: Buffer;
  return_to: string;
  expires_at: Date;
}

/** The associated data of a login's encrypted fields: a ciphertext moved to another row fails. */
export function oidcLoginContext(stateHash: Buffer, field: "code_verifier" | "nonce"): string {
  return `oidc_logins:${stateHash.toString("hex")}:${field}`;
}

export async function saveOidcLogin(
  sql: Db,
  keyRing: KeyRing,
  login: DbOidcLogin & { state: string; binding: string },
  now: Date,
): Promise<void> {
  const stateHash = hashToken(login.state);
  const verifier = keyRing.encrypt(login.code_verifier, oidcLoginContext(stateHash, "code_verifier"));
  const nonce = keyRing.encrypt(login.nonce, oidcLoginContext(stateHash, "nonce"));
  // Logins nobody finished are dropped as new ones start (oidc_logins_expires_idx).
  await sql`delete from oidc_logins where expires_at <= ${now}`;
  await sql`
    insert into oidc_logins (state_hash, binding_hash, sso_configuration_id, key_id, code_verifier_ciphertext,
                             nonce_ciphertext, return_to, expires_at)
    values (${stateHash}, ${hashToken(login.binding)}, ${login.sso_configuration_id}, ${verifier.keyId},
            ${verifier.ciphertext}, ${nonce.ciphertext}, ${login.return_to}, ${login.expires_at})`;
}

/**
 * The login with that state, started by the browser holding that binding, not expired —
 * deleted in the same statement, so a replayed callback finds nothing.
 */
export async function takeOidcLogin(
  sql: Db,
  keyRing: KeyRing,
  state: string,
  binding: string,
  now: Date,
): Promise<DbOidcLogin | undefined> {
  const stateHash = hashToken(state);
  const [row] = await sql<StoredOidcLogin[]>`
    delete from oidc_logins
     where state_hash = ${stateHash} and binding_hash = ${hashToken(binding)} and expires_at > ${now}
    returning sso_configuration_id, key_id, code_verifier_ciphertext, nonce_ciphertext, return_to, expires_at`;
  if (!row) return undefined;
  return {
    sso_configuration_id: row.sso_configuration_id,
    code_verifier: keyRing.decrypt(
      row.key_id,
      row.code_verifier_ciphertext,
      oidcLoginContext(stateHash, "code_verifier"),
    ),
    nonce: keyRing.decrypt(row.key_id, row.nonce_ciphertext, oidcLoginContext(stateHash, "nonce")),
    return_to: row.return_to,
    expires_at: row.expires_at,
  };
}
