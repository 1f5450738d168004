-- Signing in (behaviour.md §13, docs/sign-in.md): SSO configurations per org, the identities
-- people sign in with, pending OpenID Connect logins, and browser sessions.

create table sso_configurations (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references organizations (id) on delete cascade,
  issuer_url text not null,
  client_id text not null check (length(client_id) between 1 and 1024),
  -- AES-256-GCM under the key ring (crypto/secret-box.ts); the secret itself is never stored.
  client_secret_key_id text not null,
  client_secret_ciphertext bytea not null,
  -- Lower-cased; at least one (checked by the service, which says which field is wrong).
  email_domains text[] not null,
  display_name text not null default '' check (length(display_name) <= 128),
  additional_scopes text[] not null default '{}',
  state text not null check (state in ('inactive', 'active')),
  created_at timestamptz not null default date_trunc('milliseconds', now()),
  updated_at timestamptz not null default date_trunc('milliseconds', now()),
  unique (id, organization_id)
);
create index sso_configurations_organization_idx on sso_configurations (organization_id, created_at, id);
-- Sign-in by email: which active configuration covers a domain.
create index sso_configurations_domains_idx on sso_configurations using gin (email_domains);

-- Who a user is at an issuer: (org, issuer, subject) names one member. Kept when the SSO
-- configuration is deleted, so a configuration made again for the same issuer finds the
-- same people.
create table member_identities (
  organization_id uuid not null,
  issuer text not null,
  subject text not null,
  member_id uuid not null,
  created_at timestamptz not null default now(),
  primary key (organization_id, issuer, subject),
  foreign key (member_id, organization_id) references members (id, organization_id) on delete cascade
);
create index member_identities_member_idx on member_identities (member_id);

-- An authorization-code flow under way: single use (deleted when the callback takes it),
-- expiring after minutes, bound to the browser that started it by a cookie whose hash is here.
create table oidc_logins (
  state_hash bytea primary key,
  binding_hash bytea not null,
  sso_configuration_id uuid not null references sso_configurations (id) on delete cascade,
  code_verifier text not null,
  nonce text not null,
  return_to text not null,
  expires_at timestamptz not null
);
create index oidc_logins_expires_idx on oidc_logins (expires_at);

create table sessions (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null,
  member_id uuid not null,
  -- SHA-256 of the cookie's value; the value itself is never stored.
  hash bytea not null unique,
  method text not null check (method in ('personal_access_token', 'oidc')),
  sso_configuration_id uuid references sso_configurations (id) on delete cascade,
  read_only boolean not null default false,
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  expires_at timestamptz not null,
  ended_at timestamptz,
  check ((method = 'oidc') = (sso_configuration_id is not null)),
  -- Removing the member ends its sessions at once.
  foreign key (member_id, organization_id) references members (id, organization_id) on delete cascade
);
create index sessions_member_idx on sessions (member_id);
-- Sessions past their absolute end are deleted as new ones start.
create index sessions_expires_idx on sessions (expires_at);
