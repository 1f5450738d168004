-- Runners: spec, configuration, status and deletion state (docs/runners.md), on top of the
-- tenancy columns of 0001. Enum columns hold the gitpod.v1 enum numbers.

alter table runners
  add column runner_manager_id uuid,
  add column desired_phase smallint not null default 3, -- RUNNER_PHASE_ACTIVE
  add column variant smallint not null default 0,
  -- spec.configuration
  add column region text not null default '',
  add column release_channel smallint not null default 1, -- STABLE
  add column auto_update boolean not null default false,
  add column log_level smallint not null default 2, -- INFO
  add column devcontainer_image_cache_enabled boolean not null default false,
  add column update_window_start smallint check (update_window_start between 0 and 23),
  add column update_window_end smallint check (update_window_end between 0 and 23),
  add column encrypted_honeycomb_api_key bytea,
  add column continuous_profiling boolean not null default false,
  add column metrics_enabled boolean not null default false,
  add column metrics_url text not null default '',
  add column metrics_username text not null default '',
  add column metrics_password text not null default '',
  add column metrics_managed boolean not null default false,
  add column metrics_verbose boolean not null default false,
  -- status, as last reported by the runner (liveness is derived from status_updated_at)
  add column phase smallint not null default 1, -- RUNNER_PHASE_CREATED
  add column status_updated_at timestamptz,
  add column version text not null default '',
  add column system_details text not null default '',
  add column log_url text not null default '',
  add column status_message text not null default '',
  add column status_region text not null default '',
  add column additional_info jsonb not null default '[]',
  add column capabilities smallint[] not null default '{}',
  add column gateway_info jsonb,
  add column llm_url text not null default '',
  add column support_bundle_url text not null default '',
  add column public_key bytea check (public_key is null or length(public_key) = 32),
  add column signed_up_at timestamptz,
  -- set when a delete waits for the runner's acknowledgement
  add column deleting_since timestamptz,
  add constraint runners_update_window_pair check ((update_window_start is null) = (update_window_end is null));

-- At most one LOCAL_CONFIGURATION runner per organization.
create unique index runners_one_local_configuration_idx on runners (organization_id)
  where kind = 'local_configuration';

-- ListRunners: visibility is per org; keyset order is (created_at, id).
create index runners_list_idx on runners (organization_id, created_at, id);

-- Removing runners whose deletion grace period ran out.
create index runners_deleting_idx on runners (deleting_since) where deleting_since is not null;

-- ListRunnerPolicies keyset order.
create index runner_policies_list_idx on runner_policies (runner_id, created_at, group_id);

-- Secrets the server generates for itself (e.g. the page-token signing key), shared by
-- every replica through the database.
create table server_secrets (
  name text primary key,
  value bytea not null,
  created_at timestamptz not null default now()
);
