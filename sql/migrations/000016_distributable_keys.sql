-- Keys that a tenant-sharded deployment can enforce (docs/scaling.md). With
-- Citus distributing the tenant tables on org_id, a primary key, a unique
-- constraint or a foreign key is checked on one shard, so each must contain
-- org_id. test/sql/distributable.test.ts keeps it so.
--
-- Replaces the primary keys of 000002 (jobs: id), 000003 (job_events: id) and
-- 000004 (audit_events: id) with (org_id, id), and jobs' extra unique
-- (id, org_id) of 000002, which only existed as the target of job_events'
-- foreign key: that key now references the primary key. Every query already
-- names the org (row-level security adds org_id = the caller's org), so the
-- new keys serve the same lookups. Ids stay unique on their own (uuid; an
-- identity for events), and an event's identity orders events within an org
-- only.

alter table app_public.job_events drop constraint job_events_job_fkey;
alter table app_public.jobs drop constraint jobs_pkey;
alter table app_public.jobs drop constraint jobs_id_org_id_key;
alter table app_public.jobs add constraint jobs_pkey primary key (org_id, id);

alter table app_public.job_events drop constraint job_events_pkey;
alter table app_public.job_events add constraint job_events_pkey primary key (org_id, id);
-- (org_id, job_id), as before: a foreign-key check bypasses RLS, so naming
-- the org stops an event being hung on another org's job.
alter table app_public.job_events add constraint job_events_job_fkey
  foreign key (org_id, job_id) references app_public.jobs (org_id, id) on delete cascade;

alter table app_public.audit_events drop constraint audit_events_pkey;
alter table app_public.audit_events add constraint audit_events_pkey primary key (org_id, id);
