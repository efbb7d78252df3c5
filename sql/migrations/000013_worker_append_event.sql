-- One job_events insert for the worker's transitions.
--
-- 000010 wrote the same insert into app_public.job_events in each of its five
-- transition functions (six places). Here it is one function,
-- app_private.worker_append_event(job, prev_status, detail): the event records
-- the job as the transition left it (its status, stage and progress), the
-- status it came from, and the transition's detail. The five functions are
-- redefined with the same signatures, results, comments and grants; only the
-- insert is replaced by a call. Like them it is security invoker, so the insert
-- still runs as heimdex_worker under row-level security, and it names
-- everything schema-qualified (no search_path of its own; see 000010).
--
-- Applied migrations never change, so two things about earlier files can only
-- be said here (and in sql/schema.sql, the schema after every migration):
-- - 000012 redefines the claim helpers of 000001 (current_org_id,
--   current_user_id, current_app_role) with the same names and results but no
--   `set search_path`, so that they are inlined; 000001's definitions are no
--   longer the ones in force.
-- - 000007 adds the descriptions (comments) of columns and types created in
--   000002 and 000003, far from their tables; sql/schema.sql shows each
--   comment beside its object.

create function app_private.worker_append_event(
  job app_public.jobs,
  prev_status app_public.job_status,
  detail jsonb
) returns void
  language plpgsql volatile
as $$
begin
  insert into app_public.job_events (job_id, org_id, prev_status, next_status, stage, progress, detail)
  values (job.id, job.org_id, worker_append_event.prev_status, job.status, job.stage, job.progress,
          worker_append_event.detail);
end
$$;
comment on function app_private.worker_append_event(app_public.jobs, app_public.job_status, jsonb) is
  'The event of a worker transition: the job as the transition left it, the status it came from, and its detail.';

grant execute on function
  app_private.worker_append_event(app_public.jobs, app_public.job_status, jsonb)
to heimdex_worker;

create or replace function app_private.worker_start_job(job_id uuid, run_attempt integer) returns jsonb
  language plpgsql volatile
as $$
declare
  job app_public.jobs;
  prev_attempt integer;
begin
  -- The usual case in one statement; the rest needs the row locked and read.
  update app_public.jobs as j
     set status = 'running', stage = 'extracting', progress = 0, attempt = run_attempt
   where j.id = worker_start_job.job_id and j.status = 'queued'
  returning * into job;
  if found then
    perform app_private.worker_append_event(job, 'queued',
      pg_catalog.jsonb_build_object('attempt', run_attempt));
    return app_private.worker_job_state(job, 'ok');
  end if;

  select * into job from app_public.jobs as j where j.id = worker_start_job.job_id for update;
  if not found then
    return pg_catalog.jsonb_build_object('outcome', 'missing');
  end if;
  prev_attempt := job.attempt;

  if job.status = 'running' and prev_attempt < run_attempt then
    -- The run that had it is gone without a word (killed, lock released):
    -- carry on from the stage it was in; the stages it finished stay done.
    update app_public.jobs as j set attempt = run_attempt where j.id = job.id
    returning * into job;
    perform app_private.worker_append_event(job, 'running',
      pg_catalog.jsonb_build_object('attempt', run_attempt, 'resumedFromAttempt', prev_attempt));
    return app_private.worker_job_state(job, 'resumed');
  end if;

  return app_private.worker_job_state(job, case
    when job.status = 'running' and prev_attempt = run_attempt then 'ok'
    -- queued again between the two statements: only another run can have done that
    when job.status in ('running', 'queued') then 'superseded'
    when job.status = 'canceled' then 'canceled'
    else 'finished'
  end);
end
$$;

create or replace function app_private.worker_enter_stage(
  job_id uuid,
  run_attempt integer,
  next_stage app_public.job_stage,
  next_progress smallint
) returns jsonb
  language plpgsql volatile
as $$
declare
  job app_public.jobs;
begin
  update app_public.jobs as j
     set stage = next_stage, progress = next_progress
   where j.id = worker_enter_stage.job_id
     and j.status = 'running' and j.attempt = run_attempt and j.stage < next_stage
  returning * into job;
  if not found then
    return app_private.worker_unmatched(job_id, exists (
      select from app_public.jobs as j
       where j.id = worker_enter_stage.job_id
         and j.status = 'running' and j.attempt = run_attempt and j.stage >= next_stage));
  end if;
  perform app_private.worker_append_event(job, 'running',
    pg_catalog.jsonb_build_object('attempt', run_attempt));
  return app_private.worker_job_state(job, 'ok');
end
$$;

create or replace function app_private.worker_succeed_job(job_id uuid, run_attempt integer, result jsonb)
  returns jsonb
  language plpgsql volatile
as $$
declare
  job app_public.jobs;
begin
  update app_public.jobs as j
     set status = 'succeeded', progress = 100, result = worker_succeed_job.result
   where j.id = worker_succeed_job.job_id and j.status = 'running' and j.attempt = run_attempt
  returning * into job;
  if not found then
    return app_private.worker_unmatched(job_id, exists (
      select from app_public.jobs as j
       where j.id = worker_succeed_job.job_id
         and j.status = 'succeeded' and j.attempt = run_attempt));
  end if;
  perform app_private.worker_append_event(job, 'running',
    pg_catalog.jsonb_build_object('attempt', run_attempt));
  return app_private.worker_job_state(job, 'ok');
end
$$;

create or replace function app_private.worker_fail_job(
  job_id uuid,
  run_attempt integer,
  will_retry boolean,
  error_code text,
  error_message text
) returns jsonb
  language plpgsql volatile
as $$
declare
  job app_public.jobs;
  new_status app_public.job_status := case when will_retry then 'queued' else 'dead_letter' end;
begin
  update app_public.jobs as j
     set status = new_status,
         last_error_code = worker_fail_job.error_code,
         last_error_message = worker_fail_job.error_message
   where j.id = worker_fail_job.job_id and j.status = 'running' and j.attempt = run_attempt
  returning * into job;
  if not found then
    return app_private.worker_unmatched(job_id, exists (
      select from app_public.jobs as j
       where j.id = worker_fail_job.job_id
         and j.status = new_status and j.attempt = run_attempt
         and j.last_error_code = worker_fail_job.error_code));
  end if;
  perform app_private.worker_append_event(job, 'running',
    pg_catalog.jsonb_build_object('attempt', run_attempt, 'errorCode', error_code,
                                  'message', error_message));
  return app_private.worker_job_state(job, 'ok');
end
$$;

-- A run cut short by a worker shutting down gives the job back: queued in the
-- ledger, and on the queue the attempt is returned (as graphile-worker's own
-- returnJobs does for jobs it fetched but never started), in one transaction.
-- The queue job stays locked by this run's pool, so graphile-worker's failJob
-- then unlocks and reschedules it; a shutdown never uses up an attempt.
create or replace function app_private.worker_release_job(
  job_id uuid,
  run_attempt integer,
  queue_job_id bigint,
  pool_id text
) returns jsonb
  language plpgsql volatile
as $$
declare
  job app_public.jobs;
begin
  -- Only the pool that holds the queue job's lock may give it back.
  perform from graphile_worker._private_jobs as q
   where q.id = queue_job_id and q.locked_by = pool_id
     for update;
  if not found then
    return app_private.worker_unmatched(job_id, false);
  end if;
  update app_public.jobs as j
     set status = 'queued', attempt = run_attempt - 1
   where j.id = worker_release_job.job_id and j.status = 'running' and j.attempt = run_attempt
  returning * into job;
  if not found then
    return app_private.worker_unmatched(job_id, false);
  end if;
  update graphile_worker._private_jobs as q
     set attempts = greatest(0, q.attempts - 1)
   where q.id = queue_job_id;
  perform app_private.worker_append_event(job, 'running',
    pg_catalog.jsonb_build_object('attempt', run_attempt, 'released', 'worker shutting down'));
  return app_private.worker_job_state(job, 'ok');
end
$$;
