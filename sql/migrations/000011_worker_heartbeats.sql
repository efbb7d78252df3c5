-- Crash recovery. graphile-worker 0.18 locks a job with its worker pool's id
-- and only frees a lock nobody released after 4 hours. Each pool writes a
-- heartbeat here; any live pool frees the locks of pools whose heartbeat went
-- stale, with graphile-worker's own force_unlock_workers (worker/crashRecovery.ts).
-- Not tenant data: rows name worker pools, never an org.
--
-- The worker reaches the table only through the three functions below
-- (security definer, so no application role is granted a delete).

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

-- Only the functions below (running as the owner) touch the rows.
create policy owner_all on app_private.worker_heartbeats for all to heimdex_owner
  using (true) with check (true);

create function app_private.worker_heartbeat(pool_id text, host text, pid integer) returns void
  language sql volatile security definer
  set search_path = pg_catalog
as $$
  insert into app_private.worker_heartbeats (pool_id, host, pid) values (pool_id, host, pid)
  on conflict on constraint worker_heartbeats_pkey do update set seen_at = now()
$$;
comment on function app_private.worker_heartbeat(text, text, integer) is
  'A worker pool is alive: record it, or renew its heartbeat.';

-- Frees the locks of pools that went silent: those whose heartbeat is older
-- than the limit, and those that never wrote one (died before their first
-- beat) but hold locks older than the same limit. Returns their ids.
create function app_private.worker_sweep(stale_after_ms integer) returns text[]
  language sql volatile security definer
  set search_path = pg_catalog
as $$
  with dead as (
    delete from app_private.worker_heartbeats as h
     where h.seen_at < now() - make_interval(secs => stale_after_ms / 1000.0)
    returning h.pool_id
  ), orphaned as (
    select distinct j.locked_by as pool_id
      from graphile_worker._private_jobs as j
     where j.locked_by is not null
       and j.locked_at < now() - make_interval(secs => stale_after_ms / 1000.0)
       and not exists (
         select from app_private.worker_heartbeats as h where h.pool_id = j.locked_by)
  ), gone as (
    select array(select pool_id from dead union select pool_id from orphaned) as pool_ids
  )
  select gone.pool_ids
    from gone, lateral graphile_worker.force_unlock_workers(gone.pool_ids)
$$;
comment on function app_private.worker_sweep(integer) is
  'Frees the job locks of worker pools that stopped heart-beating; their jobs run again.';

create function app_private.worker_retire(pool_id text) returns void
  language sql volatile security definer
  set search_path = pg_catalog
as $$
  delete from app_private.worker_heartbeats as h where h.pool_id = worker_retire.pool_id
$$;
comment on function app_private.worker_retire(text) is
  'A worker pool stopped cleanly: forget its heartbeat.';

grant execute on function
  app_private.worker_heartbeat(text, text, integer),
  app_private.worker_sweep(integer),
  app_private.worker_retire(text)
to heimdex_worker;
