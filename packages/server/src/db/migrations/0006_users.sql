-- Users over the API (behaviour.md §12): suspension, and what a personal access token
-- created through UserService records. See docs/identity.md, "Users and personal access tokens".

-- Set while an org admin has suspended the member; authentication refuses the member's
-- tokens while it is set (db/tokens.ts findTokenForAuth reads it with the token).
alter table members add column suspended_at timestamptz;

-- A read-only token may call only the methods declared NO_SIDE_EFFECTS.
alter table tokens add column read_only boolean not null default false;

-- ListPersonalAccessTokens: a user's own tokens in (created_at, id) order. The org-wide list
-- of an admin is served by tokens_organization_idx.
create index tokens_subject_list_idx on tokens (subject_id, created_at, id)
  where kind = 'personal_access' and revoked_at is null;

-- ListPersonalAccessTokens pages by (created_at, id), and page tokens hold the time in
-- milliseconds (pagination/page-token.ts): with microseconds in the column, the row a page
-- ended on would compare greater than its own cursor and be listed again. Whole milliseconds
-- make the row comparison exact, for the tokens of before and those to come.
update tokens set created_at = date_trunc('milliseconds', created_at)
 where created_at <> date_trunc('milliseconds', created_at);
alter table tokens alter column created_at set default date_trunc('milliseconds', now());
