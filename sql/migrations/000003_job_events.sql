-- Append-only history of every job transition.

create table app_public.job_events (
  id          bigint generated always as identity primary key,
  job_id      uuid not null,
  org_id      uuid not null default app_public.current_org_id(),
  ts          timestamptz not null default clock_timestamp(),
  prev_status app_public.job_status,
  next_status app_public.job_status not null,
  stage       app_public.job_stage,
  progress    smallint check (progress between 0 and 100),
  detail      jsonb not null default '{}'::jsonb,
  -- (job_id, org_id), not job_id alone: a foreign-key check bypasses RLS, so
  -- naming the org stops an event being hung on another org's job.
  constraint job_events_job_fkey foreign key (job_id, org_id)
    references app_public.jobs (id, org_id) on delete cascade
);
create index job_events_job_id_ts_idx on app_public.job_events (job_id, ts);
create index job_events_org_id_ts_idx on app_public.job_events (org_id, ts desc);

comment on table app_public.job_events is
  E'@foreignFieldName events\nAppend-only: one row per job transition.';
comment on column app_public.job_events.prev_status is 'Status before the transition; NULL for the first event.';
comment on column app_public.job_events.next_status is 'Status after the transition.';
comment on column app_public.job_events.detail is 'Transition details (error code, result summary).';

create function app_private.tg__append_only() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog
as $$
begin
  raise exception '%.% is append-only', tg_table_schema, tg_table_name
    using errcode = 'HX403';
end
$$;
create trigger _100_append_only before update on app_public.job_events
  for each row execute function app_private.tg__append_only();

alter table app_public.job_events enable row level security;
alter table app_public.job_events force row level security;

create policy select_own_org on app_public.job_events for select to heimdex_viewer
  using (org_id = (select app_public.current_org_id()));
create policy insert_own_org on app_public.job_events for insert to heimdex_member
  with check (org_id = (select app_public.current_org_id()));
create policy worker_select_own_org on app_public.job_events for select to heimdex_worker
  using (org_id = (select app_public.current_org_id()));
create policy worker_insert_own_org on app_public.job_events for insert to heimdex_worker
  with check (org_id = (select app_public.current_org_id()));

grant select on app_public.job_events to heimdex_viewer, heimdex_worker;
grant insert (job_id, org_id, prev_status, next_status, stage, progress, detail)
  on app_public.job_events to heimdex_member, heimdex_worker;
