-- Fair scheduling across orgs, and a quota of active jobs per org.
--
-- graphile-worker runs the jobs it can take by priority, then run_at, from
-- one queue shared by every org, so an org that queues thousands of jobs
-- made every other org wait behind them. Now every job gets a turn when it is
-- queued (created, or retried by a member), and its queue job's run_at is
-- that turn, its queue priority 0:
--
--   turn = greatest(the queue's head, the org's latest turn) + 1 us
--
-- where the queue's head is the earliest run_at among queue jobs that are
-- waiting and due (or now(), when there are none). This is start-time fair
-- queueing with run_at as the virtual clock. An org's backlog takes turns one
-- microsecond apart from where the queue stood when it was queued; an org
-- that queues later starts at the head, so its jobs interleave with the
-- backlog round-robin instead of waiting behind it. The turns lie in the past
-- or within microseconds of now, so every job is due at once: the queue never
-- idles while a job waits.
--
-- Tenant priority orders jobs only within their org. A job's turn does not
-- depend on its priority, so priority never moves a job ahead of another
-- org's. Instead, when a worker takes the queue job of one of the org's jobs
-- and the org has a queued job of higher priority, the two swap queue jobs
-- (app_private.worker_take_turn, as the run starts): the higher-priority job
-- runs in this turn, and the other waits in the turn the higher-priority job
-- had.
--
-- A retry that graphile-worker schedules itself (an attempt failed, or a
-- worker shutting down released the job) comes back at now() plus backoff,
-- which under a backlog lies far after the turns being served; so such a
-- queue job gets priority -1, and runs first once its backoff is over.
--
-- `heimdex.fair_queue = off` (a benchmark's switch, set on its database)
-- queues as before: run_at now(), priority from the tenant's.
--
-- The quota: with `heimdex.jobs_max_active_per_org` set (the API sets it to
-- JOBS_MAX_ACTIVE_PER_ORG in the statement that creates or retries a job), a
-- job that would become the org's active (queued or running) job beyond that
-- number is refused with SQLSTATE HX429, so the statement writes nothing. It
-- counts what the statement sees: creates of one org committing at the same
-- moment may pass it by as many as are in flight.

alter table app_public.jobs add column queue_turn timestamptz;
comment on column app_public.jobs.queue_turn is
  'The job''s turn in the fair queue (the run_at of its queue job) when it was last queued by a create or a retry.';

-- The org's latest turn among its queued jobs, and its queued job of the
-- highest priority: one index probe each. Only queued rows are in them, so a
-- worker's transitions (to running and on) add nothing to either.
create index jobs_org_id_queue_turn_idx on app_public.jobs (org_id, queue_turn)
  where status = 'queued';
create index jobs_org_id_priority_queue_turn_idx on app_public.jobs (org_id, priority desc, queue_turn)
  where status = 'queued';

-- The queue's head: the earliest due, waiting turn. Security definer so that
-- request roles need no access to the queue; it reveals one timestamp.
create function app_private.fair_queue_head() returns timestamptz
  language sql stable security definer
  set search_path = pg_catalog
as $$
  select coalesce(
    (select q.run_at from graphile_worker._private_jobs as q
      where q.is_available = true and q.priority = 0 and q.run_at <= now()
      order by q.priority, q.run_at
      limit 1),
    now())
$$;
comment on function app_private.fair_queue_head() is
  'The run_at of the next job graphile-worker will take among fair-queued jobs (now() when none waits).';

-- Before a job is queued by a create or a member's retry: the quota, then
-- its turn. Security invoker: it reads the ledger as the caller, under row
-- -level security, so it only ever sees the caller's own org.
create function app_private.tg_jobs__queue_turn() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog
as $$
declare
  max_active integer := nullif(current_setting('heimdex.jobs_max_active_per_org', true), '')::integer;
  active integer;
  org_last timestamptz;
begin
  if max_active is not null then
    select count(*) into active
      from (select from app_public.jobs as j
             where j.org_id = new.org_id and j.status in ('queued', 'running')
             limit max_active) as counted;
    if active >= max_active then
      raise exception 'org % already has % active (queued or running) jobs, the most allowed', new.org_id, active
        using errcode = 'HX429',
              hint = 'Wait for some of its jobs to finish, or cancel some; JOBS_MAX_ACTIVE_PER_ORG sets the limit.';
    end if;
  end if;
  if current_setting('heimdex.fair_queue', true) is distinct from 'off' then
    select j.queue_turn into org_last
      from app_public.jobs as j
     where j.org_id = new.org_id and j.status = 'queued' and j.queue_turn is not null
     order by j.queue_turn desc
     limit 1;
    new.queue_turn := greatest(app_private.fair_queue_head(), org_last) + interval '1 microsecond';
  end if;
  return new;
end
$$;
comment on function app_private.tg_jobs__queue_turn() is
  'Refuses a job over the org''s active-job quota (HX429), and gives a newly queued job its fair turn.';

create trigger _200_queue_turn_insert before insert on app_public.jobs
  for each row when (new.status = 'queued')
  execute function app_private.tg_jobs__queue_turn();
create trigger _200_queue_turn_retry before update of status on app_public.jobs
  for each row when (old.status in ('failed', 'dead_letter') and new.status = 'queued')
  execute function app_private.tg_jobs__queue_turn();

-- Replaces 000005's function: the queue job takes the turn as run_at and
-- priority 0 (or, with the fair queue off, now() and the tenant's priority);
-- a retry graphile-worker schedules itself gets priority -1.
create or replace function app_private.tg_jobs__enqueue() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog
as $$
begin
  if tg_op = 'INSERT' or (old.status in ('failed', 'dead_letter') and new.status = 'queued') then
    perform graphile_worker.add_job(
      identifier   => new.type::text,
      payload      => json_build_object('jobId', new.id, 'orgId', new.org_id),
      max_attempts => new.max_attempts,
      job_key      => new.id::text,
      run_at       => new.queue_turn,
      -- graphile-worker runs lower numbers first; ours runs higher first
      priority     => case when new.queue_turn is null then -new.priority else 0 end
    );
  elsif new.status = 'canceled' and old.status in ('queued', 'running') then
    perform graphile_worker.remove_job(new.id::text);
  elsif old.status = 'running' and new.status = 'queued' then
    update graphile_worker._private_jobs as q set priority = -1
     where q.key = new.id::text and q.priority = 0;
  end if;
  return null;
end
$$;

-- Members queue jobs, so their trigger calls the head function: usage on
-- app_private lets them reach exactly the functions granted to them (no
-- function has execute for public, and its tables grant members nothing).
grant usage on schema app_private to heimdex_member;
grant execute on function app_private.fair_queue_head() to heimdex_member;

-- As a run starts: if the org of the job whose queue job the worker took
-- (job_id, queue_job_id) has a queued job of higher priority, and that job's
-- queue job is not being taken right now, the two swap queue jobs (key,
-- payload, max_attempts), unless that one waits out a retry's backoff:
-- the higher-priority job runs now, under the taken
-- queue job and its attempt number; the other keeps its place in the queue
-- at the turn the higher-priority job had. Returns the job to start.
-- Security invoker, with the org's claim set: it sees the org's jobs only.
create function app_private.worker_take_turn(job_id uuid, queue_job_id bigint) returns uuid
  language plpgsql volatile
as $$
declare
  taken app_public.jobs;
  better app_public.jobs;
  better_queue_job bigint;
begin
  select * into taken from app_public.jobs as j
   where j.id = worker_take_turn.job_id and j.status = 'queued';
  if not found then
    return job_id;
  end if;
  select * into better from app_public.jobs as j
   where j.org_id = taken.org_id and j.status = 'queued' and j.priority > taken.priority
   order by j.priority desc, j.queue_turn
   limit 1;
  if not found then
    return job_id;
  end if;
  select q.id into better_queue_job from graphile_worker._private_jobs as q
   where q.key = better.id::text and q.locked_at is null and q.run_at <= now()
     for update skip locked;
  if not found then
    return job_id;
  end if;
  update graphile_worker._private_jobs as q set key = null where q.id = better_queue_job;
  update graphile_worker._private_jobs as q
     set key = better.id::text,
         payload = pg_catalog.json_build_object('jobId', better.id, 'orgId', better.org_id),
         max_attempts = better.max_attempts
   where q.id = queue_job_id and q.key = taken.id::text;
  if not found then
    raise exception 'queue job % does not hold job %', queue_job_id, taken.id using errcode = 'HX409';
  end if;
  update graphile_worker._private_jobs as q
     set key = taken.id::text,
         payload = pg_catalog.json_build_object('jobId', taken.id, 'orgId', taken.org_id),
         max_attempts = taken.max_attempts
   where q.id = better_queue_job;
  return better.id;
end
$$;
comment on function app_private.worker_take_turn(uuid, bigint) is
  'Tenant priority within an org: a run starting a job gives its turn to the org''s queued job of higher priority, swapping queue jobs.';

grant execute on function app_private.worker_take_turn(uuid, bigint) to heimdex_worker;

-- Replaces 000014's function: a start that carries its queue job first lets a
-- higher-priority job of the org take the turn (worker_take_turn); the state
-- it returns then names the job started and its max_attempts.
create or replace function app_private.worker_transitions(transitions jsonb) returns jsonb
  language plpgsql volatile
as $$
declare
  t jsonb;
  state jsonb;
  started uuid;
  states jsonb := '[]'::jsonb;
begin
  for t in select * from pg_catalog.jsonb_array_elements(transitions) loop
    begin
      perform pg_catalog.set_config('jwt.claims.org_id', t->>'orgId', true);
      if t->>'op' = 'start' and t ? 'queueJobId' then
        started := app_private.worker_take_turn((t->>'jobId')::uuid, (t->>'queueJobId')::bigint);
        state := app_private.worker_start_job(started, (t->>'attempt')::integer);
        if started <> (t->>'jobId')::uuid then
          state := state operator(pg_catalog.||) pg_catalog.jsonb_build_object(
            'jobId', started,
            'maxAttempts', (select j.max_attempts from app_public.jobs as j where j.id = started));
        end if;
      else
        state := case t->>'op'
          when 'start' then
            app_private.worker_start_job((t->>'jobId')::uuid, (t->>'attempt')::integer)
          when 'stage' then
            app_private.worker_enter_stage((t->>'jobId')::uuid, (t->>'attempt')::integer,
              (t->>'stage')::app_public.job_stage, (t->>'progress')::smallint)
          when 'succeed' then
            app_private.worker_succeed_job((t->>'jobId')::uuid, (t->>'attempt')::integer,
              t->'result')
          when 'fail' then
            app_private.worker_fail_job((t->>'jobId')::uuid, (t->>'attempt')::integer,
              (t->>'willRetry')::boolean, t->>'code', t->>'message')
        end;
      end if;
      if state is null then
        raise exception 'unknown worker transition %', t->>'op' using errcode = '22023';
      end if;
    exception when others then
      state := pg_catalog.jsonb_build_object('outcome', 'error', 'sqlstate', sqlstate,
                                             'message', sqlerrm);
    end;
    states := states operator(pg_catalog.||) pg_catalog.jsonb_build_array(state);
  end loop;
  perform pg_catalog.set_config('jwt.claims.org_id', '', true);
  return states;
end
$$;
