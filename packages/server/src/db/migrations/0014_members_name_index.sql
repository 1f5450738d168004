-- ListMembers sorted by name (SORT_FIELD_NAME, docs/identity.md#organizationservice):
-- db/organization-members.ts lists an org's users `order by lower(name), created_at, id`
-- (all ascending or all descending) and seeks past the cursor with the row comparison
-- `(lower(name), created_at, id) > (…)`. This index holds exactly those expressions in that
-- order after the org, so a page is read straight from it, forwards or backwards, from the
-- cursor on, with no sort of the org's users; before it, members_organization_idx only
-- narrowed to the org and Postgres sorted every user on every page.
--
-- Partial on `kind = 'user'`: the listing always asks for users (service accounts are
-- ServiceAccountService's), and the planner matches the query's literal condition to the
-- index's, so service accounts take no room in it.
create index members_organization_name_idx on members (organization_id, lower(name), created_at, id)
  where kind = 'user';
