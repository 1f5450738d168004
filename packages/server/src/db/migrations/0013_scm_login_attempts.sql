-- Connecting an SCM account through OAuth (docs/scm-oauth.md): login attempts, and the
-- relay's second lane for runnerplane's own protocol extensions (docs/relay.md).

create table scm_login_attempts (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null,
  runner_id uuid not null,
  integration_id uuid not null references scm_integrations (id) on delete cascade,
  host text not null,
  subject_id uuid not null,
  subject_principal text not null check (subject_principal in ('user', 'service_account')),
  created_at timestamptz not null,
  expires_at timestamptz not null,
  -- Set by the start endpoint (each start replaces them). Only hashes of the state and of the
  -- browser-binding cookie are kept; the PKCE verifier is AES-256-GCM encrypted (key ring).
  state_hash bytea unique,
  binding_hash bytea,
  pkce_verifier_ciphertext bytea,
  key_id text,
  return_to text,
  -- Set once by the callback: the attempt is used up, whatever happens next.
  used_at timestamptz,
  foreign key (runner_id, organization_id) references runners (id, organization_id) on delete cascade
);
-- Removing a subject's expired attempts when it makes a new one.
create index scm_login_attempts_subject_idx on scm_login_attempts (subject_id, expires_at);

-- The relay's lanes: 'gitpod' (WatchRequests) and 'runnerplane' (WatchExtensionRequests).
alter table runner_connections add column lane text not null default 'gitpod';
alter table runner_connections add column extensions text[] not null default '{}';
alter table relay_calls add column lane text not null default 'gitpod';
