-- Members write the ledger only through three functions, and a temporary
-- schema can no longer hijack a function that runs as the owner.
--
-- Until now heimdex_member could insert jobs, update their status, attempt
-- and last error directly, and insert free-form job_events and audit_events:
-- the audit log was written by the role it audits. Now a member (and an
-- admin, who is a member) calls
--
--   app_private.create_job(job_type, fail_at_stage, idempotency_key, priority,
--                          max_attempts, max_active_per_org, max_attempts_allowed)
--   app_private.cancel_job(job_id)
--   app_private.retry_job(job_id, max_active_per_org)
--
-- each of which writes the job, its event and its audit row itself, and the
-- members' INSERT/UPDATE grants on jobs and INSERT grants on job_events and
-- audit_events are revoked. A viewer is not granted them.
--
-- They are security definer, so they run as heimdex_owner; row-level
-- security is forced on the tables, so the owner is confined by policies
-- too. The policies the members' writes used (000002, 000003, 000004) now
-- apply to the owner instead, unchanged: a row's org must be the claimed org
-- (jobs' select policy names the owner too, for the row a write reads back).
-- So the functions act under the caller's claims exactly as the member's own
-- statements did: the org and the actor come from the claims
-- (app_public.current_org_id(), current_user_id()), never from arguments;
-- another org's job is missing; no org, subject or writing role in the
-- claims is refused with 42501. The owner without claims still sees and
-- writes nothing. The limits (JOBS_MAX_ACTIVE_PER_ORG, JOBS_MAX_ATTEMPTS) are
-- the API's, passed as arguments: the quota is set as the setting that
-- 000015's queue trigger reads; max_attempts, given or the column default,
-- is lowered to max_attempts_allowed. The queue triggers (000005, 000015),
-- the status machine (000002) and the notifications (000017) fire as before.
--
-- Search path. Every function with a `search_path` setting (000002 to
-- 000018) set it to `pg_catalog` alone. A search_path that does not name
-- pg_temp searches the session's temporary schema first for relations and
-- types, and any role with TEMP on the database (PUBLIC has it by default)
-- can create types, and casts to them, there. A member that created a type
-- pg_temp.text with a cast from uuid made tg_jobs__enqueue (security
-- definer) run the member's cast function as heimdex_owner on the next job
-- insert. Every such function now names pg_temp last; functions without the
-- setting inherit it from the definer function that calls them.

-- Priority orders jobs within their org only (000015): 000002's description
-- of the column, which the GraphQL schema shows, said otherwise.
comment on column app_public.jobs.priority is
  'Higher runs first among your org''s own queued jobs, -100 to 100; it never moves a job ahead of another org''s.';

alter function app_private.tg_jobs__transition() set search_path = pg_catalog, pg_temp;
alter function app_private.tg__append_only() set search_path = pg_catalog, pg_temp;
alter function app_private.tg_jobs__enqueue() set search_path = pg_catalog, pg_temp;
alter function app_private.worker_heartbeat(text, text, integer) set search_path = pg_catalog, pg_temp;
alter function app_private.worker_sweep(integer) set search_path = pg_catalog, pg_temp;
alter function app_private.worker_retire(text) set search_path = pg_catalog, pg_temp;
alter function app_private.fair_queue_head() set search_path = pg_catalog, pg_temp;
alter function app_private.tg_jobs__queue_turn() set search_path = pg_catalog, pg_temp;
alter function app_private.tg__refuse_truncate() set search_path = pg_catalog, pg_temp;

-- The policies of the members' writes become the owner's (the functions').
alter policy select_own_org on app_public.jobs to heimdex_viewer, heimdex_owner;
alter policy insert_own_org on app_public.jobs to heimdex_owner;
alter policy update_own_org on app_public.jobs to heimdex_owner;
alter policy insert_own_org on app_public.job_events to heimdex_owner;
alter policy insert_own_org on app_public.audit_events to heimdex_owner;

-- Revoking a table privilege revokes the column privileges granted on it too.
revoke insert, update on app_public.jobs from heimdex_member;
revoke insert on app_public.job_events from heimdex_member;
revoke insert on app_public.audit_events from heimdex_member;
-- The queue trigger that calls it now runs as the owner.
revoke execute on function app_private.fair_queue_head() from heimdex_member;

-- The caller's org, once the claims name an org, a subject and a role that
-- writes (member or admin); 42501 otherwise. Not granted to anyone: only the
-- functions below (as the owner) call it.
create function app_private.writing_org() returns uuid
  language plpgsql stable
as $$
declare
  org pg_catalog.uuid := app_public.current_org_id();
begin
  if org is null or app_public.current_user_id() is null
     or app_public.current_app_role() is null
     or app_public.current_app_role() operator(pg_catalog.=) 'viewer' then
    raise exception 'writing jobs needs an org, a subject and the member or admin role in the claims'
      using errcode = '42501';
  end if;
  return org;
end
$$;
comment on function app_private.writing_org() is
  'The claimed org of a caller that may write jobs (org, subject and member or admin role claimed); 42501 otherwise.';

-- What a member's action leaves behind: the job's event (the job as the
-- action left it, the status it came from) and the audit row, in the
-- claimed org, by the claimed subject. Not granted to anyone.
create function app_private.record_member_action(
  job app_public.jobs,
  prev_status app_public.job_status,
  event_detail jsonb,
  action text,
  audit_detail jsonb
) returns void
  language plpgsql volatile
as $$
begin
  insert into app_public.job_events (org_id, job_id, prev_status, next_status, stage, progress, detail)
  values (job.org_id, job.id, record_member_action.prev_status, job.status, job.stage, job.progress,
          record_member_action.event_detail);
  insert into app_public.audit_events (org_id, actor, action, target_type, target_id, detail)
  values (job.org_id, app_public.current_user_id(), record_member_action.action, 'job',
          job.id::pg_catalog.text, record_member_action.audit_detail);
end
$$;
comment on function app_private.record_member_action(app_public.jobs, app_public.job_status, jsonb, text, jsonb) is
  'The event and the audit row of a member''s action on a job.';

-- A job in the caller's org, queued (the insert trigger gives it its fair
-- turn, checks the quota, enqueues it). A known idempotency key returns the
-- org's existing job with created = false, writing nothing; a concurrent
-- create with the same key waits at the unique index, then returns the job
-- of the one that committed first. NULL arguments take the column defaults.
create function app_private.create_job(
  job_type app_public.job_type,
  fail_at_stage app_public.job_stage,
  idempotency_key text,
  priority integer,
  max_attempts integer,
  max_active_per_org integer,
  max_attempts_allowed integer
) returns table (created boolean, job app_public.jobs)
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  org uuid := app_private.writing_org();
begin
  perform set_config('heimdex.jobs_max_active_per_org', create_job.max_active_per_org::text, true);
  insert into app_public.jobs (org_id, requested_by, type, fail_at_stage, idempotency_key, priority, max_attempts)
  values (org, app_public.current_user_id(), create_job.job_type, create_job.fail_at_stage,
          create_job.idempotency_key,
          -- 0 and 3: the columns' defaults (000002)
          coalesce(create_job.priority, 0),
          least(coalesce(create_job.max_attempts, 3), create_job.max_attempts_allowed))
  on conflict on constraint jobs_org_idempotency_key_key do nothing
  returning * into job;
  created := found;
  if created then
    perform app_private.record_member_action(job, null, '{}',
      'job.create', jsonb_build_object('type', job.type, 'idempotencyKey', job.idempotency_key));
  else
    select * into job from app_public.jobs as j
     where j.org_id = org and j.idempotency_key = create_job.idempotency_key;
    if not found then
      raise exception 'idempotency key conflict without a visible job';
    end if;
  end if;
  return next;
end
$$;
comment on function app_private.create_job(app_public.job_type, app_public.job_stage, text, integer, integer, integer, integer) is
  'createJob: a job in the caller''s org, its first event and its audit row; or the org''s job with that idempotency key.';

-- A job of the caller's org from one status to another, if its status
-- allows: no row when the org has no such job; changed = false (and the job
-- as it is) when its status forbids the change. The row stays locked to the
-- end of the transaction. Not granted to anyone: cancel_job and retry_job
-- call it with their own transition.
create function app_private.change_member_job(
  job_id uuid,
  allowed_from app_public.job_status[],
  action text
) returns table (previous_status app_public.job_status, changed boolean, job app_public.jobs)
  language plpgsql volatile
as $$
declare
  org pg_catalog.uuid := app_private.writing_org();
  target app_public.jobs;
begin
  select * into target from app_public.jobs as j
   where j.org_id operator(pg_catalog.=) org and j.id operator(pg_catalog.=) change_member_job.job_id
     for update;
  if not found then
    return;
  end if;
  previous_status := target.status;
  changed := target.status operator(pg_catalog.=) any (allowed_from);
  if not changed then
    job := target;
    return next;
    return;
  end if;
  if action operator(pg_catalog.=) 'job.cancel' then
    update app_public.jobs as j set status = 'canceled'
     where j.org_id operator(pg_catalog.=) org and j.id operator(pg_catalog.=) target.id
    returning * into job;
    perform app_private.record_member_action(job, target.status, '{}', action,
      pg_catalog.jsonb_build_object('from', target.status));
  else
    -- A retry is a fresh start: attempt 0 and the error cleared (the queue
    -- trigger adds a queue job with the full max_attempts); the event keeps
    -- what it replaced.
    update app_public.jobs as j
       set status = 'queued', attempt = 0, last_error_code = null, last_error_message = null
     where j.org_id operator(pg_catalog.=) org and j.id operator(pg_catalog.=) target.id
    returning * into job;
    perform app_private.record_member_action(job, target.status,
      pg_catalog.jsonb_build_object('retry', true, 'previousAttempt', target.attempt,
        'previousErrorCode', target.last_error_code,
        'previousErrorMessage', target.last_error_message),
      action, pg_catalog.jsonb_build_object('from', target.status));
  end if;
  return next;
end
$$;
comment on function app_private.change_member_job(uuid, app_public.job_status[], text) is
  'A cancel or a retry of a job in the caller''s org, with its event and audit row, if the job''s status allows it.';

create function app_private.cancel_job(job_id uuid)
  returns table (previous_status app_public.job_status, changed boolean, job app_public.jobs)
  language sql volatile security definer
  set search_path = pg_catalog, pg_temp
as $$
  -- queued or running only; a running job's worker sees the cancel between stages
  select * from app_private.change_member_job(cancel_job.job_id, '{queued,running}', 'job.cancel')
$$;
comment on function app_private.cancel_job(uuid) is
  'cancelJob: a queued or running job of the caller''s org canceled, with its event and audit row.';

create function app_private.retry_job(job_id uuid, max_active_per_org integer)
  returns table (previous_status app_public.job_status, changed boolean, job app_public.jobs)
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as $$
begin
  -- a retry queues the job again, so it counts against the org's quota
  perform set_config('heimdex.jobs_max_active_per_org', retry_job.max_active_per_org::text, true);
  return query
    select * from app_private.change_member_job(retry_job.job_id, '{failed,dead_letter}', 'job.retry');
end
$$;
comment on function app_private.retry_job(uuid, integer) is
  'retryJob: a failed or dead-lettered job of the caller''s org queued again from attempt 0, with its event and audit row.';

grant execute on function
  app_private.create_job(app_public.job_type, app_public.job_stage, text, integer, integer, integer, integer),
  app_private.cancel_job(uuid),
  app_private.retry_job(uuid, integer)
to heimdex_member;
