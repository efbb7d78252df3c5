-- Append-only record of who did what, readable by the org's admins.

create table app_public.audit_events (
  id          bigint generated always as identity primary key,
  org_id      uuid not null default app_public.current_org_id(),
  actor       text not null default app_public.current_user_id(),
  action      text not null check (action ~ '^[a-z][a-z_.]{2,63}$'),
  target_type text,
  target_id   text,
  detail      jsonb not null default '{}'::jsonb,
  ts          timestamptz not null default now()
);
create index audit_events_org_id_ts_idx on app_public.audit_events (org_id, ts desc);

comment on table app_public.audit_events is 'Append-only: who did what to which target. Admins only.';
comment on column app_public.audit_events.actor is 'Subject (JWT sub) that acted.';
comment on column app_public.audit_events.action is 'What happened, e.g. job.create.';

create trigger _100_append_only before update on app_public.audit_events
  for each row execute function app_private.tg__append_only();

alter table app_public.audit_events enable row level security;
alter table app_public.audit_events force row level security;

create policy select_own_org_admin on app_public.audit_events for select to heimdex_admin
  using (org_id = (select app_public.current_org_id()));
-- Members write audit rows for their own actions, as themselves.
create policy insert_own_org on app_public.audit_events for insert to heimdex_member
  with check (org_id = (select app_public.current_org_id())
              and actor = (select app_public.current_user_id()));

grant select on app_public.audit_events to heimdex_admin;
grant insert (org_id, action, target_type, target_id, detail)
  on app_public.audit_events to heimdex_member;
