-- OrganizationService (behaviour.md §12, docs/identity.md#organizationservice): what the
-- genuine Organization message carries that the identity model lacked, and member
-- timestamps that keyset pagination can compare exactly.

-- Organization.updated_at; rows that never changed were last updated when created.
alter table organizations add column updated_at timestamptz;
update organizations set updated_at = created_at;
alter table organizations alter column updated_at set not null, alter column updated_at set default now();

-- Organization.invite_domains: kept, lower-cased and unique, for JoinOrganization to use.
alter table organizations add column invite_domains text[] not null default '{}';

-- ListMembers pages by (created_at, id), and page tokens hold the time in milliseconds
-- (pagination/page-token.ts): with microseconds in the column, the row a page ended on
-- would compare greater than its own cursor and be listed again. Whole milliseconds make
-- the row comparison exact, so members_organization_idx still seeks straight to the cursor.
update members set created_at = date_trunc('milliseconds', created_at)
 where created_at <> date_trunc('milliseconds', created_at);
alter table members alter column created_at set default date_trunc('milliseconds', now());
