-- LLM integrations (behaviour.md §16, docs/llm-integrations.md): a runner's bring-your-own-key
-- connection to an LLM endpoint. The API key is stored only sealed for the runner. Everything
-- goes with its runner.

create table llm_integrations (
  id uuid primary key default gen_random_uuid(),
  runner_id uuid not null,
  organization_id uuid not null,
  -- gitpod.v1.LLMProvider number, deduced from the models
  provider smallint not null check (provider in (1, 2)),
  -- gitpod.v1.SupportedModel numbers, no duplicates, at least one
  models smallint[] not null check (cardinality(models) > 0),
  endpoint text not null,
  -- sealed with the runner's public key (libsodium sealed box); only the runner can open it
  encrypted_api_key bytea not null,
  -- uint64 on the wire; values above bigint's range are refused by the server
  max_tokens bigint not null default 0 check (max_tokens >= 0),
  -- gitpod.v1.LLMIntegrationPhase number
  phase smallint not null check (phase in (1, 2, 3)),
  phase_reason text not null default '',
  -- [{"key": …, "value": <base64>, "headerType": <LLMIntegrationRequestHeaderType number>}]
  request_headers jsonb not null default '[]',
  created_at timestamptz not null,
  updated_at timestamptz not null,
  foreign key (runner_id, organization_id) references runners (id, organization_id) on delete cascade
);
-- ListLLMIntegrations keyset order within an org, and ListRunnerLLMIntegrations per runner.
create index llm_integrations_org_idx on llm_integrations (organization_id, created_at, id);
create index llm_integrations_runner_idx on llm_integrations (runner_id, created_at, id);
