-- Identity and tenancy: organizations, their members (users and service accounts),
-- groups, bearer tokens, and the tenancy columns of runners with their policies.
-- See docs/identity.md.

create table organizations (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(name) between 1 and 127),
  created_at timestamptz not null default now()
);

create table members (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references organizations (id) on delete cascade,
  kind text not null check (kind in ('user', 'service_account')),
  name text not null check (length(name) between 1 and 127),
  email text,
  role text not null check (role in ('admin', 'member')),
  created_at timestamptz not null default now(),
  -- Target of the composite foreign keys that keep memberships inside one org.
  unique (id, organization_id)
);
create index members_organization_idx on members (organization_id, created_at, id);

create table groups (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references organizations (id) on delete cascade,
  name text not null check (length(name) between 1 and 127),
  created_at timestamptz not null default now(),
  unique (organization_id, name),
  unique (id, organization_id)
);

create table group_members (
  group_id uuid not null,
  member_id uuid not null,
  organization_id uuid not null,
  created_at timestamptz not null default now(),
  primary key (group_id, member_id),
  foreign key (group_id, organization_id) references groups (id, organization_id) on delete cascade,
  foreign key (member_id, organization_id) references members (id, organization_id) on delete cascade
);
-- "Which groups is this member in?" — asked on every runner authorization.
create index group_members_member_idx on group_members (member_id);

-- Tenancy columns only; the runners issue adds spec, status and the rest.
create table runners (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references organizations (id) on delete cascade,
  name text not null,
  kind text not null check (kind in ('local', 'remote', 'local_configuration')),
  provider text,
  creator_id uuid not null,
  creator_principal text not null check (creator_principal in ('user', 'service_account')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (id, organization_id)
);

create table runner_policies (
  runner_id uuid not null,
  group_id uuid not null,
  organization_id uuid not null,
  role text not null check (role in ('admin', 'user')),
  created_at timestamptz not null default now(),
  primary key (runner_id, group_id),
  foreign key (runner_id, organization_id) references runners (id, organization_id) on delete cascade,
  foreign key (group_id, organization_id) references groups (id, organization_id) on delete cascade
);

create table tokens (
  id uuid primary key default gen_random_uuid(),
  kind text not null check (kind in ('personal_access', 'runner_access', 'runner_exchange', 'runner_logs')),
  organization_id uuid not null references organizations (id) on delete cascade,
  -- A member for personal access tokens, a runner for the runner kinds.
  subject_id uuid not null,
  principal text not null check (principal in ('user', 'service_account', 'runner')),
  -- SHA-256 of the whole token; the token itself is never stored.
  hash bytea not null unique,
  description text not null default '',
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  revoked_at timestamptz,
  consumed_at timestamptz,
  last_used_at timestamptz,
  check ((kind = 'personal_access') = (principal <> 'runner'))
);
create index tokens_subject_idx on tokens (subject_id);
create index tokens_organization_idx on tokens (organization_id, created_at, id);
