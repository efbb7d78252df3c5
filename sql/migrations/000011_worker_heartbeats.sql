-- Crash recovery. graphile-worker 0.18 locks a job with its worker pool's id
-- and only frees a lock nobody released after 4 hours. Each pool writes a
-- heartbeat here; any live pool frees the locks of pools whose heartbeat went
-- stale, with graphile-worker's own force_unlock_workers (worker/crashRecovery.ts).
-- Not tenant data: rows name worker pools, never an org.

create table app_private.worker_heartbeats (
  pool_id    text primary key check (char_length(pool_id) between 1 and 100),
  host       text not null check (char_length(host) between 1 and 255),
  pid        integer not null,
  started_at timestamptz not null default now(),
  seen_at    timestamptz not null default now()
);
create index worker_heartbeats_seen_at_idx on app_private.worker_heartbeats (seen_at);

comment on table app_private.worker_heartbeats is
  'One row per running graphile-worker pool; a row whose seen_at is stale marks a dead pool.';
comment on column app_private.worker_heartbeats.pool_id is
  'graphile-worker''s pool id, which is what it writes in a locked job''s locked_by.';
comment on column app_private.worker_heartbeats.seen_at is 'Last heartbeat.';

alter table app_private.worker_heartbeats enable row level security;
alter table app_private.worker_heartbeats force row level security;

-- Every worker pool may see, renew and retire every pool's heartbeat: freeing
-- a dead peer's locks is the point.
create policy worker_all on app_private.worker_heartbeats for all to heimdex_worker
  using (true) with check (true);

grant select, delete on app_private.worker_heartbeats to heimdex_worker;
grant insert (pool_id, host, pid) on app_private.worker_heartbeats to heimdex_worker;
grant update (seen_at) on app_private.worker_heartbeats to heimdex_worker;
