-- The worker's side of the ledger: one function per transition a task makes.
--
-- Each is security invoker: it runs as heimdex_worker with the job's org as
-- the claim (the caller sets it in the same statement), so row-level security
-- confines it exactly as it confines a request; another org's job is
-- 'missing'. Each updates the job and appends its event in one call, so a
-- transition is one statement, one transaction, one round trip.
--
-- `run_attempt` is graphile-worker's attempt number for the run making the
-- call, and works as a fencing token: once a later run has started the job
-- (say the first run's worker stopped heart-beating and lost its lock), the
-- earlier run's calls change nothing and report 'superseded'. Repeating a call
-- that already took effect (its reply lost with the connection) changes
-- nothing and reports 'ok'.
--
-- Each returns jsonb {outcome, status, stage, progress, failAtStage}; outcome is one of
--   ok         the transition happened (or had already happened for this run)
--   resumed    (start only) an earlier run left the job running; carry on from its stage
--   finished   (start only) the job is already succeeded, failed or dead_letter: nothing to do
--   canceled   the job was canceled: stop, write nothing more
--   superseded another run owns the job now
--   missing    no such job in the claimed org
--
-- They are security invoker and name everything schema-qualified, so they set
-- no search_path: a per-function setting costs a configuration save and
-- restore on every call (and keeps SQL functions from being inlined), which
-- at four transitions per job is measurable.

grant usage on schema app_private to heimdex_worker;

create function app_private.worker_job_state(job app_public.jobs, outcome text) returns jsonb
  language sql stable parallel safe
as $$
  select pg_catalog.jsonb_build_object(
    'outcome', outcome,
    'status', job.status,
    'stage', job.stage,
    'progress', job.progress,
    'failAtStage', job.fail_at_stage
  )
$$;
comment on function app_private.worker_job_state(app_public.jobs, text) is
  'What a worker transition reports back: the outcome and the job as it now stands.';

-- Why a fenced update matched nothing: `repeated` says whether the job
-- already shows this run's transition.
create function app_private.worker_unmatched(job_id uuid, repeated boolean) returns jsonb
  language plpgsql stable
as $$
declare
  job app_public.jobs;
begin
  select * into job from app_public.jobs as j where j.id = worker_unmatched.job_id;
  if not found then
    return pg_catalog.jsonb_build_object('outcome', 'missing');
  end if;
  return app_private.worker_job_state(job, case
    when job.status = 'canceled' then 'canceled'
    when repeated then 'ok'
    else 'superseded'
  end);
end
$$;

create function app_private.worker_start_job(job_id uuid, run_attempt integer) returns jsonb
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
    insert into app_public.job_events (job_id, org_id, prev_status, next_status, stage, progress, detail)
    values (job.id, job.org_id, 'queued', 'running', job.stage, job.progress,
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
    insert into app_public.job_events (job_id, org_id, prev_status, next_status, stage, progress, detail)
    values (job.id, job.org_id, 'running', 'running', job.stage, job.progress,
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
comment on function app_private.worker_start_job(uuid, integer) is
  'A run begins: queued -> running at extracting, or resumes a job an earlier run left running.';

create function app_private.worker_enter_stage(
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
  insert into app_public.job_events (job_id, org_id, prev_status, next_status, stage, progress, detail)
  values (job.id, job.org_id, 'running', 'running', job.stage, job.progress,
          pg_catalog.jsonb_build_object('attempt', run_attempt));
  return app_private.worker_job_state(job, 'ok');
end
$$;
comment on function app_private.worker_enter_stage(uuid, integer, app_public.job_stage, smallint) is
  'The previous stage is done: move to the next one (stages only move forward).';

create function app_private.worker_succeed_job(job_id uuid, run_attempt integer, result jsonb)
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
  insert into app_public.job_events (job_id, org_id, prev_status, next_status, stage, progress, detail)
  values (job.id, job.org_id, 'running', 'succeeded', job.stage, job.progress,
          pg_catalog.jsonb_build_object('attempt', run_attempt));
  return app_private.worker_job_state(job, 'ok');
end
$$;
comment on function app_private.worker_succeed_job(uuid, integer, jsonb) is
  'The last stage is done: running -> succeeded with the result.';

create function app_private.worker_fail_job(
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
  insert into app_public.job_events (job_id, org_id, prev_status, next_status, stage, progress, detail)
  values (job.id, job.org_id, 'running', new_status, job.stage, job.progress,
          pg_catalog.jsonb_build_object('attempt', run_attempt, 'errorCode', error_code,
                             'message', error_message));
  return app_private.worker_job_state(job, 'ok');
end
$$;
comment on function app_private.worker_fail_job(uuid, integer, boolean, text, text) is
  'A run failed: back to queued while graphile-worker will retry it, dead_letter once it will not.';

-- A run cut short by a worker shutting down gives the job back: queued in the
-- ledger, and on the queue the attempt is returned (as graphile-worker's own
-- returnJobs does for jobs it fetched but never started), in one transaction.
-- The queue job stays locked by this run's pool, so graphile-worker's failJob
-- then unlocks and reschedules it; a shutdown never uses up an attempt.
create function app_private.worker_release_job(
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
  insert into app_public.job_events (job_id, org_id, prev_status, next_status, stage, progress, detail)
  values (job.id, job.org_id, 'running', 'queued', job.stage, job.progress,
          pg_catalog.jsonb_build_object('attempt', run_attempt, 'released', 'worker shutting down'));
  return app_private.worker_job_state(job, 'ok');
end
$$;
comment on function app_private.worker_release_job(uuid, integer, bigint, text) is
  'A shutting-down worker gives a running job back to the queue without using up an attempt.';

grant execute on function
  app_private.worker_job_state(app_public.jobs, text),
  app_private.worker_unmatched(uuid, boolean),
  app_private.worker_start_job(uuid, integer),
  app_private.worker_enter_stage(uuid, integer, app_public.job_stage, smallint),
  app_private.worker_succeed_job(uuid, integer, jsonb),
  app_private.worker_fail_job(uuid, integer, boolean, text, text),
  app_private.worker_release_job(uuid, integer, bigint, text)
to heimdex_worker;
