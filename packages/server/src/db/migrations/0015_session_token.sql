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
