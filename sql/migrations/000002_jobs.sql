-- The job ledger: one row per job, its status machine enforced by a trigger.

create type app_public.job_type as enum ('mock_process');
comment on type app_public.job_type is 'What a job does; each value is a graphile-worker task of the same name.';
create type app_public.job_status as enum ('queued', 'running', 'succeeded', 'failed', 'canceled', 'dead_letter');
create type app_public.job_stage as enum ('extracting', 'analyzing', 'indexing');

create table app_public.jobs (
  id                 uuid primary key default gen_random_uuid(),
  org_id             uuid not null default app_public.current_org_id(),
  type               app_public.job_type not null,
  status             app_public.job_status not null default 'queued',
  stage              app_public.job_stage,
  progress           smallint not null default 0 check (progress between 0 and 100),
  attempt            integer not null default 0 check (attempt >= 0),
  max_attempts       integer not null default 3 check (max_attempts between 1 and 25),
  priority           integer not null default 0 check (priority between -100 and 100),
  fail_at_stage      app_public.job_stage,
  idempotency_key    text check (char_length(idempotency_key) between 1 and 200),
  requested_by       text not null default app_public.current_user_id(),
  result             jsonb,
  last_error_code    text,
  last_error_message text,
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now(),
  started_at         timestamptz,
  finished_at        timestamptz,
  constraint jobs_org_idempotency_key_key unique (org_id, idempotency_key),
  -- target of job_events' composite foreign key: an event names its job's org
  constraint jobs_id_org_id_key unique (id, org_id),
  constraint jobs_finished_at_iff_terminal check (
    (status in ('succeeded', 'failed', 'canceled', 'dead_letter')) = (finished_at is not null)
  )
);
create index jobs_org_id_created_at_idx on app_public.jobs (org_id, created_at desc);
create index jobs_org_id_status_idx on app_public.jobs (org_id, status);

comment on table app_public.jobs is 'A unit of asynchronous work, owned by one org.';
comment on column app_public.jobs.id is 'The job''s UUID.';
comment on column app_public.jobs.org_id is 'The owning org; defaults to the caller''s org claim.';
comment on column app_public.jobs.status is 'queued -> running -> succeeded | failed | queued (retry) | dead_letter; canceled from queued or running.';
comment on column app_public.jobs.stage is 'The stage the job is in or last finished.';
comment on column app_public.jobs.progress is 'Percent complete, 0 to 100.';
comment on column app_public.jobs.attempt is 'Attempts started so far.';
comment on column app_public.jobs.priority is 'Higher runs first, -100 to 100.';
comment on column app_public.jobs.fail_at_stage is 'Testing aid: the job fails deterministically at this stage.';
comment on column app_public.jobs.idempotency_key is 'Unique per org: creating a job with a known key returns the existing job.';
comment on column app_public.jobs.requested_by is 'Subject (JWT sub) of whoever created the job.';
comment on column app_public.jobs.finished_at is 'Set exactly when the status is terminal.';

-- Status machine. Applies to every role, owner included, so no code path can
-- invent a transition; also keeps updated_at/started_at/finished_at right.
create function app_private.tg_jobs__transition() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog
as $$
begin
  if new.id <> old.id or new.org_id <> old.org_id or new.type <> old.type then
    raise exception 'a job''s id, org and type never change'
      using errcode = 'HX400';
  end if;
  if new.status <> old.status and not (
    (old.status = 'queued'      and new.status in ('running', 'canceled')) or
    (old.status = 'running'     and new.status in ('succeeded', 'failed', 'queued', 'dead_letter', 'canceled')) or
    (old.status = 'failed'      and new.status = 'queued') or
    (old.status = 'dead_letter' and new.status = 'queued')
  ) then
    raise exception 'job % cannot go from % to %', old.id, old.status, new.status
      using errcode = 'HX409', hint = 'Read the job''s current status before changing it.';
  end if;
  new.updated_at := now();
  if new.status = 'running' and new.started_at is null then
    new.started_at := now();
  end if;
  if new.status <> old.status then
    new.finished_at := case
      when new.status in ('succeeded', 'failed', 'canceled', 'dead_letter') then now()
    end;
  end if;
  return new;
end
$$;
create trigger _100_transition before update on app_public.jobs
  for each row execute function app_private.tg_jobs__transition();

alter table app_public.jobs enable row level security;
alter table app_public.jobs force row level security;

-- Requests: read own org; members create and change (cancel, retry) own org's jobs.
create policy select_own_org on app_public.jobs for select to heimdex_viewer
  using (org_id = (select app_public.current_org_id()));
create policy insert_own_org on app_public.jobs for insert to heimdex_member
  with check (org_id = (select app_public.current_org_id())
              and requested_by = (select app_public.current_user_id()));
create policy update_own_org on app_public.jobs for update to heimdex_member
  using (org_id = (select app_public.current_org_id()))
  with check (org_id = (select app_public.current_org_id()));
-- The worker: each job's work runs with that job's org as the claim.
create policy worker_select_own_org on app_public.jobs for select to heimdex_worker
  using (org_id = (select app_public.current_org_id()));
create policy worker_update_own_org on app_public.jobs for update to heimdex_worker
  using (org_id = (select app_public.current_org_id()))
  with check (org_id = (select app_public.current_org_id()));

grant select on app_public.jobs to heimdex_viewer, heimdex_worker;
grant insert (org_id, type, priority, max_attempts, fail_at_stage, idempotency_key)
  on app_public.jobs to heimdex_member;
grant update (status, attempt, last_error_code, last_error_message)
  on app_public.jobs to heimdex_member;
grant update (status, stage, progress, attempt, result, last_error_code, last_error_message)
  on app_public.jobs to heimdex_worker;
