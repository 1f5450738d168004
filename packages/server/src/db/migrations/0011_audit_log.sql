-- The audit log (behaviour.md §15, docs/audit-log.md): one row per successful mutation,
-- written in the mutation's transaction. Ids only, no foreign keys: an entry outlives the
-- runner, user or group it names.
create table audit_log (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null,
  -- The server's clock, in whole milliseconds, so keyset page tokens compare exactly.
  created_at timestamptz not null check (created_at = date_trunc('milliseconds', created_at)),
  -- 'unknown': a refused sign-in whose credential names no one.
  actor_principal text not null check (actor_principal in ('user', 'service_account', 'runner', 'cli', 'unknown')),
  -- null for the CLI, which is no principal, and for an unknown actor.
  actor_id uuid check ((actor_principal in ('cli', 'unknown')) = (actor_id is null)),
  -- The full method name (gitpod.v1.RunnerService/CreateRunner), cli/<command> or auth/<event>.
  action text not null check (length(action) between 1 and 200),
  -- gitpod.v1.ResourceType and AuditLogEntryKind numbers.
  subject_type smallint not null,
  subject_id uuid,
  kind smallint not null default 3,
  request_id text not null default '' check (length(request_id) <= 200),
  client_address text check (length(client_address) <= 100),
  user_agent text check (length(user_agent) <= 512)
);

-- ListAuditLogs: newest first within the org, keyset on (created_at, id).
create index audit_log_list_idx on audit_log (organization_id, created_at desc, id desc);
-- The actor_ids and subject_ids filters.
create index audit_log_actor_idx on audit_log (organization_id, actor_id, created_at desc, id desc);
create index audit_log_subject_idx on audit_log (organization_id, subject_id, created_at desc, id desc);
-- The pruner: everything older than the retention, oldest first.
create index audit_log_created_idx on audit_log (created_at);

-- Append-only: no UPDATE ever, DELETE only from the pruner's transaction (which sets
-- runnerplane.audit_prune locally), no TRUNCATE. Guards against bugs, not a superuser.
create function audit_log_append_only() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' and coalesce(current_setting('runnerplane.audit_prune', true), '') = 'on' then
    return old;
  end if;
  raise exception 'audit_log entries cannot be changed or deleted (%)', tg_op
    using errcode = 'insufficient_privilege';
end;
$$;
create trigger audit_log_no_change before update or delete on audit_log
  for each row execute function audit_log_append_only();
create trigger audit_log_no_truncate before truncate on audit_log
  for each statement execute function audit_log_append_only();
