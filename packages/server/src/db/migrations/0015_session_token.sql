-- A session started with a personal access token lives no longer than that token
-- (docs/sign-in.md#sessions): the session names its token, and the session lookup
-- (db/sessions.ts findSessionForAuth) refuses it once the token is revoked or expired.
--
-- Sessions started before this migration carry no token id, so nothing could tell when
-- their token was revoked: they are deleted, and their holders sign in again. (Ending them
-- would leave rows that break the check below; a deleted session cookie is refused exactly
-- like an ended one.)
delete from sessions where method = 'personal_access_token';
alter table sessions add column token_id uuid references tokens (id) on delete cascade;
alter table sessions add constraint sessions_token_check
  check ((method = 'personal_access_token') = (token_id is not null));
create index sessions_token_idx on sessions (token_id) where token_id is not null;

-- The PKCE verifier and nonce of a pending OpenID Connect login are encrypted under the key
-- ring (crypto/secret-box.ts; associated data names the login by its state hash), as the SCM
-- flow does for its verifier (db/scm-login-attempts.ts). Pending logins live 10 minutes: the
-- ones under way are dropped (their browsers start again) rather than encrypted here, which
-- SQL cannot do without the keys.
delete from oidc_logins;
alter table oidc_logins drop column code_verifier, drop column nonce,
  add column key_id text not null,
  add column code_verifier_ciphertext bytea not null,
  add column nonce_ciphertext bytea not null;
