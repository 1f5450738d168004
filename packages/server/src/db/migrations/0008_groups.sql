-- GroupService (behaviour.md §12, docs/identity.md#groups-memberships-and-role-assignments):
-- what the genuine Group, GroupMembership and RoleAssignment messages carry that the
-- identity model lacked, and timestamps that keyset pagination can compare exactly.

-- Group.description and Group.updated_at; rows that never changed were last updated when created.
alter table groups add column description text not null default '' check (length(description) <= 255);
update groups set created_at = date_trunc('milliseconds', created_at)
 where created_at <> date_trunc('milliseconds', created_at);
alter table groups add column updated_at timestamptz;
update groups set updated_at = created_at;
alter table groups
  alter column updated_at set not null,
  alter column updated_at set default date_trunc('milliseconds', now()),
  alter column created_at set default date_trunc('milliseconds', now());
-- ListGroups pages by (created_at, id) within the org.
create index groups_list_idx on groups (organization_id, created_at, id);

-- GroupMembership.id: a membership is addressed by its own id (DeleteMembership). The
-- volatile default gives every existing row its own value.
alter table group_members add column id uuid not null default gen_random_uuid();
alter table group_members add constraint group_members_id_key unique (id);
update group_members set created_at = date_trunc('milliseconds', created_at)
 where created_at <> date_trunc('milliseconds', created_at);
alter table group_members alter column created_at set default date_trunc('milliseconds', now());
-- ListMemberships pages by (created_at, id) within the group.
create index group_members_list_idx on group_members (group_id, created_at, id);

-- RoleAssignment.id: a role assignment on a runner *is* its runner policy (one store), and
-- DeleteRoleAssignment addresses it by id.
alter table runner_policies add column id uuid not null default gen_random_uuid();
alter table runner_policies add constraint runner_policies_id_key unique (id);
update runner_policies set created_at = date_trunc('milliseconds', created_at)
 where created_at <> date_trunc('milliseconds', created_at);
alter table runner_policies alter column created_at set default date_trunc('milliseconds', now());
-- ListRoleAssignments pages by (created_at, id) within the org.
create index runner_policies_org_list_idx on runner_policies (organization_id, created_at, id);
