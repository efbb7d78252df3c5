-- A job remembers the trace of the request that created it, so the worker's
-- spans for it (start, each stage, the end) join that trace: one trace shows
-- createJob through to succeeded (runtime/tracing, worker/jobTrace.ts).
--
-- app_public.jobs gets `traceparent`, a W3C Trace Context `traceparent`
-- value (version 00 only), or NULL when the API was not tracing. It is the
-- job row's, not only the queue payload's: the fair queue (000015) may start
-- another queued job of the org in a queue job's turn, so the worker reads
-- the trace of the job it actually starts, from the state its start
-- transition returns (worker_job_state, replaced here from 000010).
--
-- Replaces app_private.create_job(job_type, fail_at_stage, idempotency_key,
-- priority, max_attempts, max_active_per_org, max_attempts_allowed) of 000019
-- with the same function plus a last argument `traceparent` (default NULL,
-- so a call with the seven arguments still means the same). Its security
-- properties are 000019's, unchanged: security definer, search_path
-- pg_catalog, pg_temp; the org and the actor from the claims, never from
-- arguments; granted to heimdex_member only (PUBLIC has no execute on new
-- functions: 000001's default privileges). A malformed traceparent is
-- refused by the column's check (23514), so nothing a caller passes becomes
-- anything but a well-formed trace id in the worker's spans.

alter table app_public.jobs add column traceparent text
  constraint jobs_traceparent_format
  check (traceparent ~ '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$');
comment on column app_public.jobs.traceparent is
  'W3C traceparent of the request that created the job (NULL: not traced); the worker''s spans join that trace.';

create or replace function app_private.worker_job_state(job app_public.jobs, outcome text) returns jsonb
  language sql stable parallel safe
as $$
  select pg_catalog.jsonb_build_object(
    'outcome', outcome,
    'status', job.status,
    'stage', job.stage,
    'progress', job.progress,
    'failAtStage', job.fail_at_stage,
    'traceparent', job.traceparent
  )
$$;

drop function app_private.create_job(app_public.job_type, app_public.job_stage, text, integer, integer, integer, integer);

-- As 000019's, plus the traceparent.
create function app_private.create_job(
  job_type app_public.job_type,
  fail_at_stage app_public.job_stage,
  idempotency_key text,
  priority integer,
  max_attempts integer,
  max_active_per_org integer,
  max_attempts_allowed integer,
  traceparent text default null
) returns table (created boolean, job app_public.jobs)
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  org uuid := app_private.writing_org();
begin
  perform set_config('heimdex.jobs_max_active_per_org', create_job.max_active_per_org::text, true);
  insert into app_public.jobs (org_id, requested_by, type, fail_at_stage, idempotency_key, priority,
                               max_attempts, traceparent)
  values (org, app_public.current_user_id(), create_job.job_type, create_job.fail_at_stage,
          create_job.idempotency_key,
          -- 0 and 3: the columns' defaults (000002)
          coalesce(create_job.priority, 0),
          least(coalesce(create_job.max_attempts, 3), create_job.max_attempts_allowed),
          create_job.traceparent)
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
comment on function app_private.create_job(app_public.job_type, app_public.job_stage, text, integer, integer, integer, integer, text) is
  'createJob: a job in the caller''s org, its first event and its audit row; or the org''s job with that idempotency key. traceparent: the creating request''s trace.';

grant execute on function
  app_private.create_job(app_public.job_type, app_public.job_stage, text, integer, integer, integer, integer, text)
to heimdex_member;
