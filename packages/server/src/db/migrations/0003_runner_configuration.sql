-- Runner configuration: environment classes, configuration schemas, SCM integrations and
-- host authentication tokens (docs/configuration.md). Everything goes with its runner.

create table environment_classes (
  id uuid primary key default gen_random_uuid(),
  runner_id uuid not null,
  organization_id uuid not null,
  display_name text not null,
  description text not null,
  configuration jsonb not null default '[]',
  enabled boolean not null default true,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  foreign key (runner_id, organization_id) references runners (id, organization_id) on delete cascade
);
-- ListEnvironmentClasses keyset order within an org, and per runner.
create index environment_classes_org_idx on environment_classes (organization_id, created_at, id);
create index environment_classes_runner_idx on environment_classes (runner_id, created_at, id);

create table runner_configuration_schemas (
  runner_id uuid primary key references runners (id) on delete cascade,
  -- gitpod.v1.RunnerConfigurationSchema as protobuf JSON
  schema jsonb not null,
  updated_at timestamptz not null
);

create table scm_integrations (
  id uuid primary key default gen_random_uuid(),
  runner_id uuid not null,
  organization_id uuid not null,
  scm_id text not null,
  host text not null,
  oauth_client_id text,
  -- sealed with the runner's public key; only the runner can open it
  oauth_encrypted_client_secret bytea,
  issuer_url text,
  pat boolean not null default false,
  virtual_directory text,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  unique (runner_id, host),
  check ((oauth_client_id is null) = (oauth_encrypted_client_secret is null)),
  foreign key (runner_id, organization_id) references runners (id, organization_id) on delete cascade
);
create index scm_integrations_org_idx on scm_integrations (organization_id, created_at, id);

create table host_authentication_tokens (
  id uuid primary key default gen_random_uuid(),
  runner_id uuid not null,
  organization_id uuid not null,
  subject_id uuid not null,
  subject_principal text not null check (subject_principal in ('user', 'service_account')),
  host text not null,
  source smallint not null check (source in (1, 2)), -- OAUTH, PAT
  expires_at timestamptz,
  integration_id uuid references scm_integrations (id) on delete set null,
  scopes text[] not null default '{}',
  -- AES-256-GCM ciphertexts (iv | ciphertext | tag) and the id of the key that made them
  token_ciphertext bytea not null,
  refresh_token_ciphertext bytea,
  key_id text not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  unique (runner_id, subject_id, host),
  foreign key (runner_id, organization_id) references runners (id, organization_id) on delete cascade
);
create index host_authentication_tokens_org_idx on host_authentication_tokens (organization_id, created_at, id);
create index host_authentication_tokens_subject_idx on host_authentication_tokens (subject_id, created_at, id);
