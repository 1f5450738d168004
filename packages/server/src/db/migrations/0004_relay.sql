-- The relay (docs/relay.md): which process holds which runner's stream, and the calls in flight.

create table runner_connections (
  stream_id uuid primary key,
  runner_id uuid not null references runners (id) on delete cascade,
  server_id uuid not null,
  connected_at timestamptz not null,
  last_seen timestamptz not null
);
create index runner_connections_runner_idx on runner_connections (runner_id, last_seen);

create table relay_calls (
  id uuid primary key,
  runner_id uuid not null references runners (id) on delete cascade,
  -- gitpod.v1.WatchRequestsResponse, binary
  request bytea not null,
  deadline timestamptz not null,
  delivered_at timestamptz,
  -- gitpod.v1.SendResponseRequest, binary
  response bytea,
  created_at timestamptz not null
);
create index relay_calls_deadline_idx on relay_calls (deadline);
