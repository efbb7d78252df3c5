-- The schema after every migration (sql/migrations/), as pg_dump --schema-only
-- prints app_public and app_private. Generated: `npm run sql-schema` rewrites it,
-- and a test fails when it is stale. Read it; never apply it: migrations are
-- what deploys, and they never change once landed.

--
-- PostgreSQL database dump
--

--
-- Name: app_private; Type: SCHEMA; Schema: -; Owner: heimdex_owner
--

CREATE SCHEMA app_private;

ALTER SCHEMA app_private OWNER TO heimdex_owner;

--
-- Name: SCHEMA app_private; Type: COMMENT; Schema: -; Owner: heimdex_owner
--

COMMENT ON SCHEMA app_private IS 'Internals (trigger functions, queue glue); never exposed.';

--
-- Name: app_public; Type: SCHEMA; Schema: -; Owner: heimdex_owner
--

CREATE SCHEMA app_public;

ALTER SCHEMA app_public OWNER TO heimdex_owner;

--
-- Name: SCHEMA app_public; Type: COMMENT; Schema: -; Owner: heimdex_owner
--

COMMENT ON SCHEMA app_public IS 'Exposed through GraphQL. Every table has forced row-level security.';

--
-- Name: job_stage; Type: TYPE; Schema: app_public; Owner: heimdex_owner
--

CREATE TYPE app_public.job_stage AS ENUM (
    'extracting',
    'analyzing',
    'indexing'
);

ALTER TYPE app_public.job_stage OWNER TO heimdex_owner;

--
-- Name: TYPE job_stage; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON TYPE app_public.job_stage IS 'The steps of a MOCK_PROCESS job, in order: EXTRACTING, ANALYZING, INDEXING.';

--
-- Name: job_status; Type: TYPE; Schema: app_public; Owner: heimdex_owner
--

CREATE TYPE app_public.job_status AS ENUM (
    'queued',
    'running',
    'succeeded',
    'failed',
    'canceled',
    'dead_letter'
);

ALTER TYPE app_public.job_status OWNER TO heimdex_owner;

--
-- Name: TYPE job_status; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON TYPE app_public.job_status IS 'Where a job is in its life: QUEUED, RUNNING, then SUCCEEDED, FAILED (retryable), DEAD_LETTER (attempts exhausted) or CANCELED.';

--
-- Name: job_type; Type: TYPE; Schema: app_public; Owner: heimdex_owner
--

CREATE TYPE app_public.job_type AS ENUM (
    'mock_process'
);

ALTER TYPE app_public.job_type OWNER TO heimdex_owner;

--
-- Name: TYPE job_type; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON TYPE app_public.job_type IS 'What a job does; each value is a graphile-worker task of the same name.';

--
-- Name: current_org_id(); Type: FUNCTION; Schema: app_public; Owner: heimdex_owner
--

CREATE FUNCTION app_public.current_org_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $_$
  select case
    when pg_catalog.current_setting('jwt.claims.org_id', true)
         operator(pg_catalog.~*) '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
    then pg_catalog.current_setting('jwt.claims.org_id', true)::pg_catalog.uuid
  end
$_$;

ALTER FUNCTION app_public.current_org_id() OWNER TO heimdex_owner;

--
-- Name: FUNCTION current_org_id(); Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_public.current_org_id() IS '@behavior -*
The caller''s org (claim jwt.claims.org_id), or NULL when unset or malformed.';

--
-- Name: current_user_id(); Type: FUNCTION; Schema: app_public; Owner: heimdex_owner
--

CREATE FUNCTION app_public.current_user_id() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
  select case
    when pg_catalog.current_setting('jwt.claims.sub', true) operator(pg_catalog.<>) ''
    then pg_catalog.current_setting('jwt.claims.sub', true)
  end
$$;

ALTER FUNCTION app_public.current_user_id() OWNER TO heimdex_owner;

--
-- Name: FUNCTION current_user_id(); Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_public.current_user_id() IS '@behavior -*
The caller''s subject (claim jwt.claims.sub), or NULL.';

--
-- Name: jobs; Type: TABLE; Schema: app_public; Owner: heimdex_owner
--

CREATE TABLE app_public.jobs (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid DEFAULT app_public.current_org_id() NOT NULL,
    type app_public.job_type NOT NULL,
    status app_public.job_status DEFAULT 'queued'::app_public.job_status NOT NULL,
    stage app_public.job_stage,
    progress smallint DEFAULT 0 NOT NULL,
    attempt integer DEFAULT 0 NOT NULL,
    max_attempts integer DEFAULT 3 NOT NULL,
    priority integer DEFAULT 0 NOT NULL,
    fail_at_stage app_public.job_stage,
    idempotency_key text,
    requested_by text DEFAULT app_public.current_user_id() NOT NULL,
    result jsonb,
    last_error_code text,
    last_error_message text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    queue_turn timestamp with time zone,
    traceparent text,
    CONSTRAINT jobs_attempt_check CHECK ((attempt >= 0)),
    CONSTRAINT jobs_finished_at_iff_terminal CHECK (((status = ANY (ARRAY['succeeded'::app_public.job_status, 'failed'::app_public.job_status, 'canceled'::app_public.job_status, 'dead_letter'::app_public.job_status])) = (finished_at IS NOT NULL))),
    CONSTRAINT jobs_idempotency_key_check CHECK (((char_length(idempotency_key) >= 1) AND (char_length(idempotency_key) <= 200))),
    CONSTRAINT jobs_max_attempts_check CHECK (((max_attempts >= 1) AND (max_attempts <= 25))),
    CONSTRAINT jobs_priority_check CHECK (((priority >= '-100'::integer) AND (priority <= 100))),
    CONSTRAINT jobs_progress_check CHECK (((progress >= 0) AND (progress <= 100))),
    CONSTRAINT jobs_traceparent_format CHECK ((traceparent ~ '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$'::text))
);

ALTER TABLE ONLY app_public.jobs FORCE ROW LEVEL SECURITY;

ALTER TABLE app_public.jobs OWNER TO heimdex_owner;

--
-- Name: TABLE jobs; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON TABLE app_public.jobs IS 'A unit of asynchronous work, owned by one org.';

--
-- Name: COLUMN jobs.id; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.jobs.id IS 'The job''s UUID.';

--
-- Name: COLUMN jobs.org_id; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.jobs.org_id IS 'The owning org; defaults to the caller''s org claim.';

--
-- Name: COLUMN jobs.type; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.jobs.type IS 'What the job does.';

--
-- Name: COLUMN jobs.status; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.jobs.status IS 'queued -> running -> succeeded | failed | queued (retry) | dead_letter; canceled from queued or running.';

--
-- Name: COLUMN jobs.stage; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.jobs.stage IS 'The stage the job is in or last finished.';

--
-- Name: COLUMN jobs.progress; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.jobs.progress IS 'Percent complete, 0 to 100.';

--
-- Name: COLUMN jobs.attempt; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.jobs.attempt IS 'Attempts started so far.';

--
-- Name: COLUMN jobs.max_attempts; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.jobs.max_attempts IS 'Attempts before the job is dead-lettered, 1 to 25.';

--
-- Name: COLUMN jobs.priority; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.jobs.priority IS 'Higher runs first among your org''s own queued jobs, -100 to 100; it never moves a job ahead of another org''s.';

--
-- Name: COLUMN jobs.fail_at_stage; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.jobs.fail_at_stage IS 'Testing aid: the job fails deterministically at this stage.';

--
-- Name: COLUMN jobs.idempotency_key; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.jobs.idempotency_key IS 'Unique per org: creating a job with a known key returns the existing job.';

--
-- Name: COLUMN jobs.requested_by; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.jobs.requested_by IS 'Subject (JWT sub) of whoever created the job.';

--
-- Name: COLUMN jobs.result; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.jobs.result IS 'What a succeeded job produced.';

--
-- Name: COLUMN jobs.last_error_code; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.jobs.last_error_code IS 'Stable code of the last failure, e.g. DETERMINISTIC_FAILURE.';

--
-- Name: COLUMN jobs.last_error_message; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.jobs.last_error_message IS 'Human-readable message of the last failure.';

--
-- Name: COLUMN jobs.created_at; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.jobs.created_at IS 'When the job was created.';

--
-- Name: COLUMN jobs.updated_at; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.jobs.updated_at IS 'When the job last changed.';

--
-- Name: COLUMN jobs.started_at; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.jobs.started_at IS 'When the first attempt started.';

--
-- Name: COLUMN jobs.finished_at; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.jobs.finished_at IS 'Set exactly when the status is terminal.';

--
-- Name: COLUMN jobs.queue_turn; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.jobs.queue_turn IS 'The job''s turn in the fair queue (the run_at of its queue job) when it was last queued by a create or a retry.';

--
-- Name: COLUMN jobs.traceparent; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.jobs.traceparent IS 'W3C traceparent of the request that created the job (NULL: not traced); the worker''s spans join that trace.';

--
-- Name: cancel_job(uuid); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.cancel_job(job_id uuid) RETURNS TABLE(previous_status app_public.job_status, changed boolean, job app_public.jobs)
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  -- queued or running only; a running job's worker sees the cancel between stages
  select * from app_private.change_member_job(cancel_job.job_id, '{queued,running}', 'job.cancel')
$$;

ALTER FUNCTION app_private.cancel_job(job_id uuid) OWNER TO heimdex_owner;

--
-- Name: FUNCTION cancel_job(job_id uuid); Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_private.cancel_job(job_id uuid) IS 'cancelJob: a queued or running job of the caller''s org canceled, with its event and audit row.';

--
-- Name: change_member_job(uuid, app_public.job_status[], text); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.change_member_job(job_id uuid, allowed_from app_public.job_status[], action text) RETURNS TABLE(previous_status app_public.job_status, changed boolean, job app_public.jobs)
    LANGUAGE plpgsql
    AS $$
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

ALTER FUNCTION app_private.change_member_job(job_id uuid, allowed_from app_public.job_status[], action text) OWNER TO heimdex_owner;

--
-- Name: FUNCTION change_member_job(job_id uuid, allowed_from app_public.job_status[], action text); Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_private.change_member_job(job_id uuid, allowed_from app_public.job_status[], action text) IS 'A cancel or a retry of a job in the caller''s org, with its event and audit row, if the job''s status allows it.';

--
-- Name: create_job(app_public.job_type, app_public.job_stage, text, integer, integer, integer, integer, text); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.create_job(job_type app_public.job_type, fail_at_stage app_public.job_stage, idempotency_key text, priority integer, max_attempts integer, max_active_per_org integer, max_attempts_allowed integer, traceparent text DEFAULT NULL::text) RETURNS TABLE(created boolean, job app_public.jobs)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

ALTER FUNCTION app_private.create_job(job_type app_public.job_type, fail_at_stage app_public.job_stage, idempotency_key text, priority integer, max_attempts integer, max_active_per_org integer, max_attempts_allowed integer, traceparent text) OWNER TO heimdex_owner;

--
-- Name: FUNCTION create_job(job_type app_public.job_type, fail_at_stage app_public.job_stage, idempotency_key text, priority integer, max_attempts integer, max_active_per_org integer, max_attempts_allowed integer, traceparent text); Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_private.create_job(job_type app_public.job_type, fail_at_stage app_public.job_stage, idempotency_key text, priority integer, max_attempts integer, max_active_per_org integer, max_attempts_allowed integer, traceparent text) IS 'createJob: a job in the caller''s org, its first event and its audit row; or the org''s job with that idempotency key. traceparent: the creating request''s trace.';

--
-- Name: fair_queue_head(); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.fair_queue_head() RETURNS timestamp with time zone
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select coalesce(
    (select q.run_at from graphile_worker._private_jobs as q
      where q.is_available = true and q.priority = 0 and q.run_at <= now()
      order by q.priority, q.run_at
      limit 1),
    now())
$$;

ALTER FUNCTION app_private.fair_queue_head() OWNER TO heimdex_owner;

--
-- Name: FUNCTION fair_queue_head(); Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_private.fair_queue_head() IS 'The run_at of the next job graphile-worker will take among fair-queued jobs (now() when none waits).';

--
-- Name: record_member_action(app_public.jobs, app_public.job_status, jsonb, text, jsonb); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.record_member_action(job app_public.jobs, prev_status app_public.job_status, event_detail jsonb, action text, audit_detail jsonb) RETURNS void
    LANGUAGE plpgsql
    AS $$
begin
  insert into app_public.job_events (org_id, job_id, prev_status, next_status, stage, progress, detail)
  values (job.org_id, job.id, record_member_action.prev_status, job.status, job.stage, job.progress,
          record_member_action.event_detail);
  insert into app_public.audit_events (org_id, actor, action, target_type, target_id, detail)
  values (job.org_id, app_public.current_user_id(), record_member_action.action, 'job',
          job.id::pg_catalog.text, record_member_action.audit_detail);
end
$$;

ALTER FUNCTION app_private.record_member_action(job app_public.jobs, prev_status app_public.job_status, event_detail jsonb, action text, audit_detail jsonb) OWNER TO heimdex_owner;

--
-- Name: FUNCTION record_member_action(job app_public.jobs, prev_status app_public.job_status, event_detail jsonb, action text, audit_detail jsonb); Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_private.record_member_action(job app_public.jobs, prev_status app_public.job_status, event_detail jsonb, action text, audit_detail jsonb) IS 'The event and the audit row of a member''s action on a job.';

--
-- Name: retry_job(uuid, integer); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.retry_job(job_id uuid, max_active_per_org integer) RETURNS TABLE(previous_status app_public.job_status, changed boolean, job app_public.jobs)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  -- a retry queues the job again, so it counts against the org's quota
  perform set_config('heimdex.jobs_max_active_per_org', retry_job.max_active_per_org::text, true);
  return query
    select * from app_private.change_member_job(retry_job.job_id, '{failed,dead_letter}', 'job.retry');
end
$$;

ALTER FUNCTION app_private.retry_job(job_id uuid, max_active_per_org integer) OWNER TO heimdex_owner;

--
-- Name: FUNCTION retry_job(job_id uuid, max_active_per_org integer); Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_private.retry_job(job_id uuid, max_active_per_org integer) IS 'retryJob: a failed or dead-lettered job of the caller''s org queued again from attempt 0, with its event and audit row.';

--
-- Name: tg__append_only(); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.tg__append_only() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  raise exception '%.% is append-only', tg_table_schema, tg_table_name
    using errcode = 'HX403';
end
$$;

ALTER FUNCTION app_private.tg__append_only() OWNER TO heimdex_owner;

--
-- Name: tg__job_events_notify(); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.tg__job_events_notify() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  perform pg_catalog.pg_notify(
    'heimdex_job_events',
    pg_catalog.json_build_object('org_id', new.org_id, 'job_id', new.job_id)::text
  );
  return null;
end
$$;

ALTER FUNCTION app_private.tg__job_events_notify() OWNER TO heimdex_owner;

--
-- Name: FUNCTION tg__job_events_notify(); Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_private.tg__job_events_notify() IS 'Notifies heimdex_job_events with {org_id, job_id} when a ledger row commits (ids only).';

--
-- Name: tg__refuse_truncate(); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.tg__refuse_truncate() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  raise exception '%.% is append-only: truncate is refused', tg_table_schema, tg_table_name
    using errcode = 'HX403';
end
$$;

ALTER FUNCTION app_private.tg__refuse_truncate() OWNER TO heimdex_owner;

--
-- Name: FUNCTION tg__refuse_truncate(); Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_private.tg__refuse_truncate() IS 'Statement trigger: append-only tables refuse TRUNCATE, owner included.';

--
-- Name: tg_jobs__enqueue(); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.tg_jobs__enqueue() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

ALTER FUNCTION app_private.tg_jobs__enqueue() OWNER TO heimdex_owner;

--
-- Name: FUNCTION tg_jobs__enqueue(); Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_private.tg_jobs__enqueue() IS 'Keeps graphile_worker''s queue in step with the ledger; security definer so request roles need no queue grants.';

--
-- Name: tg_jobs__queue_turn(); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.tg_jobs__queue_turn() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

ALTER FUNCTION app_private.tg_jobs__queue_turn() OWNER TO heimdex_owner;

--
-- Name: FUNCTION tg_jobs__queue_turn(); Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_private.tg_jobs__queue_turn() IS 'Refuses a job over the org''s active-job quota (HX429), and gives a newly queued job its fair turn.';

--
-- Name: tg_jobs__transition(); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.tg_jobs__transition() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

ALTER FUNCTION app_private.tg_jobs__transition() OWNER TO heimdex_owner;

--
-- Name: worker_append_event(app_public.jobs, app_public.job_status, jsonb); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.worker_append_event(job app_public.jobs, prev_status app_public.job_status, detail jsonb) RETURNS void
    LANGUAGE plpgsql
    AS $$
begin
  insert into app_public.job_events (job_id, org_id, prev_status, next_status, stage, progress, detail)
  values (job.id, job.org_id, worker_append_event.prev_status, job.status, job.stage, job.progress,
          worker_append_event.detail);
end
$$;

ALTER FUNCTION app_private.worker_append_event(job app_public.jobs, prev_status app_public.job_status, detail jsonb) OWNER TO heimdex_owner;

--
-- Name: FUNCTION worker_append_event(job app_public.jobs, prev_status app_public.job_status, detail jsonb); Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_private.worker_append_event(job app_public.jobs, prev_status app_public.job_status, detail jsonb) IS 'The event of a worker transition: the job as the transition left it, the status it came from, and its detail.';

--
-- Name: worker_enter_stage(uuid, integer, app_public.job_stage, smallint); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.worker_enter_stage(job_id uuid, run_attempt integer, next_stage app_public.job_stage, next_progress smallint) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
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

ALTER FUNCTION app_private.worker_enter_stage(job_id uuid, run_attempt integer, next_stage app_public.job_stage, next_progress smallint) OWNER TO heimdex_owner;

--
-- Name: FUNCTION worker_enter_stage(job_id uuid, run_attempt integer, next_stage app_public.job_stage, next_progress smallint); Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_private.worker_enter_stage(job_id uuid, run_attempt integer, next_stage app_public.job_stage, next_progress smallint) IS 'The previous stage is done: move to the next one (stages only move forward).';

--
-- Name: worker_fail_job(uuid, integer, boolean, text, text); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.worker_fail_job(job_id uuid, run_attempt integer, will_retry boolean, error_code text, error_message text) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
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

ALTER FUNCTION app_private.worker_fail_job(job_id uuid, run_attempt integer, will_retry boolean, error_code text, error_message text) OWNER TO heimdex_owner;

--
-- Name: FUNCTION worker_fail_job(job_id uuid, run_attempt integer, will_retry boolean, error_code text, error_message text); Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_private.worker_fail_job(job_id uuid, run_attempt integer, will_retry boolean, error_code text, error_message text) IS 'A run failed: back to queued while graphile-worker will retry it, dead_letter once it will not.';

--
-- Name: worker_heartbeat(text, text, integer); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.worker_heartbeat(pool_id text, host text, pid integer) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  insert into app_private.worker_heartbeats (pool_id, host, pid) values (pool_id, host, pid)
  on conflict on constraint worker_heartbeats_pkey do update set seen_at = now()
$$;

ALTER FUNCTION app_private.worker_heartbeat(pool_id text, host text, pid integer) OWNER TO heimdex_owner;

--
-- Name: FUNCTION worker_heartbeat(pool_id text, host text, pid integer); Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_private.worker_heartbeat(pool_id text, host text, pid integer) IS 'A worker pool is alive: record it, or renew its heartbeat.';

--
-- Name: worker_job_state(app_public.jobs, text); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.worker_job_state(job app_public.jobs, outcome text) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
  select pg_catalog.jsonb_build_object(
    'outcome', outcome,
    'status', job.status,
    'stage', job.stage,
    'progress', job.progress,
    'failAtStage', job.fail_at_stage,
    'traceparent', job.traceparent
  )
$$;

ALTER FUNCTION app_private.worker_job_state(job app_public.jobs, outcome text) OWNER TO heimdex_owner;

--
-- Name: FUNCTION worker_job_state(job app_public.jobs, outcome text); Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_private.worker_job_state(job app_public.jobs, outcome text) IS 'What a worker transition reports back: the outcome and the job as it now stands.';

--
-- Name: worker_release_job(uuid, integer, bigint, text); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.worker_release_job(job_id uuid, run_attempt integer, queue_job_id bigint, pool_id text) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
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

ALTER FUNCTION app_private.worker_release_job(job_id uuid, run_attempt integer, queue_job_id bigint, pool_id text) OWNER TO heimdex_owner;

--
-- Name: FUNCTION worker_release_job(job_id uuid, run_attempt integer, queue_job_id bigint, pool_id text); Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_private.worker_release_job(job_id uuid, run_attempt integer, queue_job_id bigint, pool_id text) IS 'A shutting-down worker gives a running job back to the queue without using up an attempt.';

--
-- Name: worker_retire(text); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.worker_retire(pool_id text) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  delete from app_private.worker_heartbeats as h where h.pool_id = worker_retire.pool_id
$$;

ALTER FUNCTION app_private.worker_retire(pool_id text) OWNER TO heimdex_owner;

--
-- Name: FUNCTION worker_retire(pool_id text); Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_private.worker_retire(pool_id text) IS 'A worker pool stopped cleanly: forget its heartbeat.';

--
-- Name: worker_start_job(uuid, integer); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.worker_start_job(job_id uuid, run_attempt integer) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
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

ALTER FUNCTION app_private.worker_start_job(job_id uuid, run_attempt integer) OWNER TO heimdex_owner;

--
-- Name: FUNCTION worker_start_job(job_id uuid, run_attempt integer); Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_private.worker_start_job(job_id uuid, run_attempt integer) IS 'A run begins: queued -> running at extracting, or resumes a job an earlier run left running.';

--
-- Name: worker_succeed_job(uuid, integer, jsonb); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.worker_succeed_job(job_id uuid, run_attempt integer, result jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
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

ALTER FUNCTION app_private.worker_succeed_job(job_id uuid, run_attempt integer, result jsonb) OWNER TO heimdex_owner;

--
-- Name: FUNCTION worker_succeed_job(job_id uuid, run_attempt integer, result jsonb); Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_private.worker_succeed_job(job_id uuid, run_attempt integer, result jsonb) IS 'The last stage is done: running -> succeeded with the result.';

--
-- Name: worker_sweep(integer); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.worker_sweep(stale_after_ms integer) RETURNS text[]
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

ALTER FUNCTION app_private.worker_sweep(stale_after_ms integer) OWNER TO heimdex_owner;

--
-- Name: FUNCTION worker_sweep(stale_after_ms integer); Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_private.worker_sweep(stale_after_ms integer) IS 'Frees the job locks of worker pools that stopped heart-beating; their jobs run again.';

--
-- Name: worker_take_turn(uuid, bigint); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.worker_take_turn(job_id uuid, queue_job_id bigint) RETURNS uuid
    LANGUAGE plpgsql
    AS $$
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

ALTER FUNCTION app_private.worker_take_turn(job_id uuid, queue_job_id bigint) OWNER TO heimdex_owner;

--
-- Name: FUNCTION worker_take_turn(job_id uuid, queue_job_id bigint); Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_private.worker_take_turn(job_id uuid, queue_job_id bigint) IS 'Tenant priority within an org: a run starting a job gives its turn to the org''s queued job of higher priority, swapping queue jobs.';

--
-- Name: worker_transitions(jsonb); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.worker_transitions(transitions jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
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

ALTER FUNCTION app_private.worker_transitions(transitions jsonb) OWNER TO heimdex_owner;

--
-- Name: FUNCTION worker_transitions(transitions jsonb); Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_private.worker_transitions(transitions jsonb) IS 'Group commit: several jobs'' transitions in one transaction, each under its own org claim and savepoint.';

--
-- Name: worker_unmatched(uuid, boolean); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.worker_unmatched(job_id uuid, repeated boolean) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    AS $$
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

ALTER FUNCTION app_private.worker_unmatched(job_id uuid, repeated boolean) OWNER TO heimdex_owner;

--
-- Name: writing_org(); Type: FUNCTION; Schema: app_private; Owner: heimdex_owner
--

CREATE FUNCTION app_private.writing_org() RETURNS uuid
    LANGUAGE plpgsql STABLE
    AS $$
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

ALTER FUNCTION app_private.writing_org() OWNER TO heimdex_owner;

--
-- Name: FUNCTION writing_org(); Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_private.writing_org() IS 'The claimed org of a caller that may write jobs (org, subject and member or admin role claimed); 42501 otherwise.';

--
-- Name: current_app_role(); Type: FUNCTION; Schema: app_public; Owner: heimdex_owner
--

CREATE FUNCTION app_public.current_app_role() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
  select case
    when pg_catalog.current_setting('jwt.claims.role', true) operator(pg_catalog.=) 'viewer'
    then 'viewer'
    when pg_catalog.current_setting('jwt.claims.role', true) operator(pg_catalog.=) 'member'
    then 'member'
    when pg_catalog.current_setting('jwt.claims.role', true) operator(pg_catalog.=) 'admin'
    then 'admin'
  end
$$;

ALTER FUNCTION app_public.current_app_role() OWNER TO heimdex_owner;

--
-- Name: FUNCTION current_app_role(); Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON FUNCTION app_public.current_app_role() IS '@behavior -*
The caller''s app role (viewer, member, admin; claim jwt.claims.role), or NULL.';

--
-- Name: worker_heartbeats; Type: TABLE; Schema: app_private; Owner: heimdex_owner
--

CREATE TABLE app_private.worker_heartbeats (
    pool_id text NOT NULL,
    host text NOT NULL,
    pid integer NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    seen_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT worker_heartbeats_host_check CHECK (((char_length(host) >= 1) AND (char_length(host) <= 255))),
    CONSTRAINT worker_heartbeats_pool_id_check CHECK (((char_length(pool_id) >= 1) AND (char_length(pool_id) <= 100)))
);

ALTER TABLE ONLY app_private.worker_heartbeats FORCE ROW LEVEL SECURITY;

ALTER TABLE app_private.worker_heartbeats OWNER TO heimdex_owner;

--
-- Name: TABLE worker_heartbeats; Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON TABLE app_private.worker_heartbeats IS 'One row per running graphile-worker pool; a row whose seen_at is stale marks a dead pool.';

--
-- Name: COLUMN worker_heartbeats.pool_id; Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON COLUMN app_private.worker_heartbeats.pool_id IS 'graphile-worker''s pool id, which is what it writes in a locked job''s locked_by.';

--
-- Name: COLUMN worker_heartbeats.seen_at; Type: COMMENT; Schema: app_private; Owner: heimdex_owner
--

COMMENT ON COLUMN app_private.worker_heartbeats.seen_at IS 'Last heartbeat.';

--
-- Name: audit_events; Type: TABLE; Schema: app_public; Owner: heimdex_owner
--

CREATE TABLE app_public.audit_events (
    id bigint NOT NULL,
    org_id uuid DEFAULT app_public.current_org_id() NOT NULL,
    actor text DEFAULT app_public.current_user_id() NOT NULL,
    action text NOT NULL,
    target_type text,
    target_id text,
    detail jsonb DEFAULT '{}'::jsonb NOT NULL,
    ts timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT audit_events_action_check CHECK ((action ~ '^[a-z][a-z_.]{2,63}$'::text))
);

ALTER TABLE ONLY app_public.audit_events FORCE ROW LEVEL SECURITY;

ALTER TABLE app_public.audit_events OWNER TO heimdex_owner;

--
-- Name: TABLE audit_events; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON TABLE app_public.audit_events IS 'Append-only: who did what to which target. Admins only.';

--
-- Name: COLUMN audit_events.id; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.audit_events.id IS 'Increasing event id.';

--
-- Name: COLUMN audit_events.org_id; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.audit_events.org_id IS 'The org the action happened in.';

--
-- Name: COLUMN audit_events.actor; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.audit_events.actor IS 'Subject (JWT sub) that acted.';

--
-- Name: COLUMN audit_events.action; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.audit_events.action IS 'What happened, e.g. job.create.';

--
-- Name: COLUMN audit_events.target_type; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.audit_events.target_type IS 'Kind of thing acted on, e.g. job.';

--
-- Name: COLUMN audit_events.target_id; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.audit_events.target_id IS 'Id of the thing acted on.';

--
-- Name: COLUMN audit_events.detail; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.audit_events.detail IS 'Action details, e.g. the status a job was canceled from.';

--
-- Name: COLUMN audit_events.ts; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.audit_events.ts IS 'When the action happened.';

--
-- Name: audit_events_id_seq; Type: SEQUENCE; Schema: app_public; Owner: heimdex_owner
--

ALTER TABLE app_public.audit_events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME app_public.audit_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: job_events; Type: TABLE; Schema: app_public; Owner: heimdex_owner
--

CREATE TABLE app_public.job_events (
    id bigint NOT NULL,
    job_id uuid NOT NULL,
    org_id uuid DEFAULT app_public.current_org_id() NOT NULL,
    ts timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    prev_status app_public.job_status,
    next_status app_public.job_status NOT NULL,
    stage app_public.job_stage,
    progress smallint,
    detail jsonb DEFAULT '{}'::jsonb NOT NULL,
    CONSTRAINT job_events_progress_check CHECK (((progress >= 0) AND (progress <= 100)))
);

ALTER TABLE ONLY app_public.job_events FORCE ROW LEVEL SECURITY;

ALTER TABLE app_public.job_events OWNER TO heimdex_owner;

--
-- Name: TABLE job_events; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON TABLE app_public.job_events IS '@foreignFieldName events
Append-only: one row per job transition.';

--
-- Name: COLUMN job_events.id; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.job_events.id IS 'Increasing event id.';

--
-- Name: COLUMN job_events.job_id; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.job_events.job_id IS 'The job this event belongs to.';

--
-- Name: COLUMN job_events.org_id; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.job_events.org_id IS 'The org of the job.';

--
-- Name: COLUMN job_events.ts; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.job_events.ts IS 'When the transition happened.';

--
-- Name: COLUMN job_events.prev_status; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.job_events.prev_status IS 'Status before the transition; NULL for the first event.';

--
-- Name: COLUMN job_events.next_status; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.job_events.next_status IS 'Status after the transition.';

--
-- Name: COLUMN job_events.stage; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.job_events.stage IS 'The stage at the time of the transition.';

--
-- Name: COLUMN job_events.progress; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.job_events.progress IS 'Percent complete at the time of the transition.';

--
-- Name: COLUMN job_events.detail; Type: COMMENT; Schema: app_public; Owner: heimdex_owner
--

COMMENT ON COLUMN app_public.job_events.detail IS 'Transition details (error code, result summary).';

--
-- Name: job_events_id_seq; Type: SEQUENCE; Schema: app_public; Owner: heimdex_owner
--

ALTER TABLE app_public.job_events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME app_public.job_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: worker_heartbeats worker_heartbeats_pkey; Type: CONSTRAINT; Schema: app_private; Owner: heimdex_owner
--

ALTER TABLE ONLY app_private.worker_heartbeats
    ADD CONSTRAINT worker_heartbeats_pkey PRIMARY KEY (pool_id);

--
-- Name: audit_events audit_events_pkey; Type: CONSTRAINT; Schema: app_public; Owner: heimdex_owner
--

ALTER TABLE ONLY app_public.audit_events
    ADD CONSTRAINT audit_events_pkey PRIMARY KEY (org_id, id);

--
-- Name: job_events job_events_pkey; Type: CONSTRAINT; Schema: app_public; Owner: heimdex_owner
--

ALTER TABLE ONLY app_public.job_events
    ADD CONSTRAINT job_events_pkey PRIMARY KEY (org_id, id);

--
-- Name: jobs jobs_org_idempotency_key_key; Type: CONSTRAINT; Schema: app_public; Owner: heimdex_owner
--

ALTER TABLE ONLY app_public.jobs
    ADD CONSTRAINT jobs_org_idempotency_key_key UNIQUE (org_id, idempotency_key);

--
-- Name: jobs jobs_pkey; Type: CONSTRAINT; Schema: app_public; Owner: heimdex_owner
--

ALTER TABLE ONLY app_public.jobs
    ADD CONSTRAINT jobs_pkey PRIMARY KEY (org_id, id);

--
-- Name: worker_heartbeats_seen_at_idx; Type: INDEX; Schema: app_private; Owner: heimdex_owner
--

CREATE INDEX worker_heartbeats_seen_at_idx ON app_private.worker_heartbeats USING btree (seen_at);

--
-- Name: audit_events_org_id_ts_idx; Type: INDEX; Schema: app_public; Owner: heimdex_owner
--

CREATE INDEX audit_events_org_id_ts_idx ON app_public.audit_events USING btree (org_id, ts DESC);

--
-- Name: job_events_job_id_ts_idx; Type: INDEX; Schema: app_public; Owner: heimdex_owner
--

CREATE INDEX job_events_job_id_ts_idx ON app_public.job_events USING btree (job_id, ts);

--
-- Name: job_events_org_id_ts_idx; Type: INDEX; Schema: app_public; Owner: heimdex_owner
--

CREATE INDEX job_events_org_id_ts_idx ON app_public.job_events USING btree (org_id, ts DESC);

--
-- Name: jobs_org_id_created_at_idx; Type: INDEX; Schema: app_public; Owner: heimdex_owner
--

CREATE INDEX jobs_org_id_created_at_idx ON app_public.jobs USING btree (org_id, created_at DESC);

--
-- Name: jobs_org_id_priority_queue_turn_idx; Type: INDEX; Schema: app_public; Owner: heimdex_owner
--

CREATE INDEX jobs_org_id_priority_queue_turn_idx ON app_public.jobs USING btree (org_id, priority DESC, queue_turn) WHERE (status = 'queued'::app_public.job_status);

--
-- Name: jobs_org_id_queue_turn_idx; Type: INDEX; Schema: app_public; Owner: heimdex_owner
--

CREATE INDEX jobs_org_id_queue_turn_idx ON app_public.jobs USING btree (org_id, queue_turn) WHERE (status = 'queued'::app_public.job_status);

--
-- Name: jobs_org_id_status_idx; Type: INDEX; Schema: app_public; Owner: heimdex_owner
--

CREATE INDEX jobs_org_id_status_idx ON app_public.jobs USING btree (org_id, status);

--
-- Name: audit_events _100_append_only; Type: TRIGGER; Schema: app_public; Owner: heimdex_owner
--

CREATE TRIGGER _100_append_only BEFORE UPDATE ON app_public.audit_events FOR EACH ROW EXECUTE FUNCTION app_private.tg__append_only();

--
-- Name: job_events _100_append_only; Type: TRIGGER; Schema: app_public; Owner: heimdex_owner
--

CREATE TRIGGER _100_append_only BEFORE UPDATE ON app_public.job_events FOR EACH ROW EXECUTE FUNCTION app_private.tg__append_only();

--
-- Name: audit_events _100_refuse_truncate; Type: TRIGGER; Schema: app_public; Owner: heimdex_owner
--

CREATE TRIGGER _100_refuse_truncate BEFORE TRUNCATE ON app_public.audit_events FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__refuse_truncate();

--
-- Name: job_events _100_refuse_truncate; Type: TRIGGER; Schema: app_public; Owner: heimdex_owner
--

CREATE TRIGGER _100_refuse_truncate BEFORE TRUNCATE ON app_public.job_events FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__refuse_truncate();

--
-- Name: jobs _100_transition; Type: TRIGGER; Schema: app_public; Owner: heimdex_owner
--

CREATE TRIGGER _100_transition BEFORE UPDATE ON app_public.jobs FOR EACH ROW EXECUTE FUNCTION app_private.tg_jobs__transition();

--
-- Name: jobs _200_queue_turn_insert; Type: TRIGGER; Schema: app_public; Owner: heimdex_owner
--

CREATE TRIGGER _200_queue_turn_insert BEFORE INSERT ON app_public.jobs FOR EACH ROW WHEN ((new.status = 'queued'::app_public.job_status)) EXECUTE FUNCTION app_private.tg_jobs__queue_turn();

--
-- Name: jobs _200_queue_turn_retry; Type: TRIGGER; Schema: app_public; Owner: heimdex_owner
--

CREATE TRIGGER _200_queue_turn_retry BEFORE UPDATE OF status ON app_public.jobs FOR EACH ROW WHEN (((old.status = ANY (ARRAY['failed'::app_public.job_status, 'dead_letter'::app_public.job_status])) AND (new.status = 'queued'::app_public.job_status))) EXECUTE FUNCTION app_private.tg_jobs__queue_turn();

--
-- Name: jobs _500_enqueue_insert; Type: TRIGGER; Schema: app_public; Owner: heimdex_owner
--

CREATE TRIGGER _500_enqueue_insert AFTER INSERT ON app_public.jobs FOR EACH ROW EXECUTE FUNCTION app_private.tg_jobs__enqueue();

--
-- Name: jobs _500_enqueue_update; Type: TRIGGER; Schema: app_public; Owner: heimdex_owner
--

CREATE TRIGGER _500_enqueue_update AFTER UPDATE OF status ON app_public.jobs FOR EACH ROW WHEN ((old.status IS DISTINCT FROM new.status)) EXECUTE FUNCTION app_private.tg_jobs__enqueue();

--
-- Name: job_events _900_notify; Type: TRIGGER; Schema: app_public; Owner: heimdex_owner
--

CREATE TRIGGER _900_notify AFTER INSERT ON app_public.job_events FOR EACH ROW EXECUTE FUNCTION app_private.tg__job_events_notify();

--
-- Name: job_events job_events_job_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: heimdex_owner
--

ALTER TABLE ONLY app_public.job_events
    ADD CONSTRAINT job_events_job_fkey FOREIGN KEY (org_id, job_id) REFERENCES app_public.jobs(org_id, id) ON DELETE CASCADE;

--
-- Name: worker_heartbeats owner_all; Type: POLICY; Schema: app_private; Owner: heimdex_owner
--

CREATE POLICY owner_all ON app_private.worker_heartbeats TO heimdex_owner USING (true) WITH CHECK (true);

--
-- Name: worker_heartbeats; Type: ROW SECURITY; Schema: app_private; Owner: heimdex_owner
--

ALTER TABLE app_private.worker_heartbeats ENABLE ROW LEVEL SECURITY;

--
-- Name: audit_events; Type: ROW SECURITY; Schema: app_public; Owner: heimdex_owner
--

ALTER TABLE app_public.audit_events ENABLE ROW LEVEL SECURITY;

--
-- Name: audit_events insert_own_org; Type: POLICY; Schema: app_public; Owner: heimdex_owner
--

CREATE POLICY insert_own_org ON app_public.audit_events FOR INSERT TO heimdex_owner WITH CHECK (((org_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (actor = ( SELECT app_public.current_user_id() AS current_user_id))));

--
-- Name: job_events insert_own_org; Type: POLICY; Schema: app_public; Owner: heimdex_owner
--

CREATE POLICY insert_own_org ON app_public.job_events FOR INSERT TO heimdex_owner WITH CHECK ((org_id = ( SELECT app_public.current_org_id() AS current_org_id)));

--
-- Name: jobs insert_own_org; Type: POLICY; Schema: app_public; Owner: heimdex_owner
--

CREATE POLICY insert_own_org ON app_public.jobs FOR INSERT TO heimdex_owner WITH CHECK (((org_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (requested_by = ( SELECT app_public.current_user_id() AS current_user_id))));

--
-- Name: job_events; Type: ROW SECURITY; Schema: app_public; Owner: heimdex_owner
--

ALTER TABLE app_public.job_events ENABLE ROW LEVEL SECURITY;

--
-- Name: jobs; Type: ROW SECURITY; Schema: app_public; Owner: heimdex_owner
--

ALTER TABLE app_public.jobs ENABLE ROW LEVEL SECURITY;

--
-- Name: job_events select_own_org; Type: POLICY; Schema: app_public; Owner: heimdex_owner
--

CREATE POLICY select_own_org ON app_public.job_events FOR SELECT TO heimdex_viewer USING ((org_id = ( SELECT app_public.current_org_id() AS current_org_id)));

--
-- Name: jobs select_own_org; Type: POLICY; Schema: app_public; Owner: heimdex_owner
--

CREATE POLICY select_own_org ON app_public.jobs FOR SELECT TO heimdex_owner, heimdex_viewer USING ((org_id = ( SELECT app_public.current_org_id() AS current_org_id)));

--
-- Name: audit_events select_own_org_admin; Type: POLICY; Schema: app_public; Owner: heimdex_owner
--

CREATE POLICY select_own_org_admin ON app_public.audit_events FOR SELECT TO heimdex_admin USING ((org_id = ( SELECT app_public.current_org_id() AS current_org_id)));

--
-- Name: jobs update_own_org; Type: POLICY; Schema: app_public; Owner: heimdex_owner
--

CREATE POLICY update_own_org ON app_public.jobs FOR UPDATE TO heimdex_owner USING ((org_id = ( SELECT app_public.current_org_id() AS current_org_id))) WITH CHECK ((org_id = ( SELECT app_public.current_org_id() AS current_org_id)));

--
-- Name: job_events worker_insert_own_org; Type: POLICY; Schema: app_public; Owner: heimdex_owner
--

CREATE POLICY worker_insert_own_org ON app_public.job_events FOR INSERT TO heimdex_worker WITH CHECK ((org_id = ( SELECT app_public.current_org_id() AS current_org_id)));

--
-- Name: job_events worker_select_own_org; Type: POLICY; Schema: app_public; Owner: heimdex_owner
--

CREATE POLICY worker_select_own_org ON app_public.job_events FOR SELECT TO heimdex_worker USING ((org_id = ( SELECT app_public.current_org_id() AS current_org_id)));

--
-- Name: jobs worker_select_own_org; Type: POLICY; Schema: app_public; Owner: heimdex_owner
--

CREATE POLICY worker_select_own_org ON app_public.jobs FOR SELECT TO heimdex_worker USING ((org_id = ( SELECT app_public.current_org_id() AS current_org_id)));

--
-- Name: jobs worker_update_own_org; Type: POLICY; Schema: app_public; Owner: heimdex_owner
--

CREATE POLICY worker_update_own_org ON app_public.jobs FOR UPDATE TO heimdex_worker USING ((org_id = ( SELECT app_public.current_org_id() AS current_org_id))) WITH CHECK ((org_id = ( SELECT app_public.current_org_id() AS current_org_id)));

--
-- Name: SCHEMA app_private; Type: ACL; Schema: -; Owner: heimdex_owner
--

GRANT USAGE ON SCHEMA app_private TO heimdex_worker;
GRANT USAGE ON SCHEMA app_private TO heimdex_member;

--
-- Name: SCHEMA app_public; Type: ACL; Schema: -; Owner: heimdex_owner
--

GRANT USAGE ON SCHEMA app_public TO heimdex_viewer;
GRANT USAGE ON SCHEMA app_public TO heimdex_worker;

--
-- Name: FUNCTION current_org_id(); Type: ACL; Schema: app_public; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_public.current_org_id() FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.current_org_id() TO heimdex_viewer;
GRANT ALL ON FUNCTION app_public.current_org_id() TO heimdex_worker;

--
-- Name: FUNCTION current_user_id(); Type: ACL; Schema: app_public; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_public.current_user_id() FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.current_user_id() TO heimdex_viewer;
GRANT ALL ON FUNCTION app_public.current_user_id() TO heimdex_worker;

--
-- Name: TABLE jobs; Type: ACL; Schema: app_public; Owner: heimdex_owner
--

GRANT SELECT ON TABLE app_public.jobs TO heimdex_viewer;
GRANT SELECT ON TABLE app_public.jobs TO heimdex_worker;

--
-- Name: COLUMN jobs.status; Type: ACL; Schema: app_public; Owner: heimdex_owner
--

GRANT UPDATE(status) ON TABLE app_public.jobs TO heimdex_worker;

--
-- Name: COLUMN jobs.stage; Type: ACL; Schema: app_public; Owner: heimdex_owner
--

GRANT UPDATE(stage) ON TABLE app_public.jobs TO heimdex_worker;

--
-- Name: COLUMN jobs.progress; Type: ACL; Schema: app_public; Owner: heimdex_owner
--

GRANT UPDATE(progress) ON TABLE app_public.jobs TO heimdex_worker;

--
-- Name: COLUMN jobs.attempt; Type: ACL; Schema: app_public; Owner: heimdex_owner
--

GRANT UPDATE(attempt) ON TABLE app_public.jobs TO heimdex_worker;

--
-- Name: COLUMN jobs.result; Type: ACL; Schema: app_public; Owner: heimdex_owner
--

GRANT UPDATE(result) ON TABLE app_public.jobs TO heimdex_worker;

--
-- Name: COLUMN jobs.last_error_code; Type: ACL; Schema: app_public; Owner: heimdex_owner
--

GRANT UPDATE(last_error_code) ON TABLE app_public.jobs TO heimdex_worker;

--
-- Name: COLUMN jobs.last_error_message; Type: ACL; Schema: app_public; Owner: heimdex_owner
--

GRANT UPDATE(last_error_message) ON TABLE app_public.jobs TO heimdex_worker;

--
-- Name: FUNCTION cancel_job(job_id uuid); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.cancel_job(job_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app_private.cancel_job(job_id uuid) TO heimdex_member;

--
-- Name: FUNCTION change_member_job(job_id uuid, allowed_from app_public.job_status[], action text); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.change_member_job(job_id uuid, allowed_from app_public.job_status[], action text) FROM PUBLIC;

--
-- Name: FUNCTION create_job(job_type app_public.job_type, fail_at_stage app_public.job_stage, idempotency_key text, priority integer, max_attempts integer, max_active_per_org integer, max_attempts_allowed integer, traceparent text); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.create_job(job_type app_public.job_type, fail_at_stage app_public.job_stage, idempotency_key text, priority integer, max_attempts integer, max_active_per_org integer, max_attempts_allowed integer, traceparent text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_private.create_job(job_type app_public.job_type, fail_at_stage app_public.job_stage, idempotency_key text, priority integer, max_attempts integer, max_active_per_org integer, max_attempts_allowed integer, traceparent text) TO heimdex_member;

--
-- Name: FUNCTION fair_queue_head(); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.fair_queue_head() FROM PUBLIC;

--
-- Name: FUNCTION record_member_action(job app_public.jobs, prev_status app_public.job_status, event_detail jsonb, action text, audit_detail jsonb); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.record_member_action(job app_public.jobs, prev_status app_public.job_status, event_detail jsonb, action text, audit_detail jsonb) FROM PUBLIC;

--
-- Name: FUNCTION retry_job(job_id uuid, max_active_per_org integer); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.retry_job(job_id uuid, max_active_per_org integer) FROM PUBLIC;
GRANT ALL ON FUNCTION app_private.retry_job(job_id uuid, max_active_per_org integer) TO heimdex_member;

--
-- Name: FUNCTION tg__append_only(); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.tg__append_only() FROM PUBLIC;

--
-- Name: FUNCTION tg__job_events_notify(); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.tg__job_events_notify() FROM PUBLIC;

--
-- Name: FUNCTION tg__refuse_truncate(); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.tg__refuse_truncate() FROM PUBLIC;

--
-- Name: FUNCTION tg_jobs__enqueue(); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.tg_jobs__enqueue() FROM PUBLIC;

--
-- Name: FUNCTION tg_jobs__queue_turn(); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.tg_jobs__queue_turn() FROM PUBLIC;

--
-- Name: FUNCTION tg_jobs__transition(); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.tg_jobs__transition() FROM PUBLIC;

--
-- Name: FUNCTION worker_append_event(job app_public.jobs, prev_status app_public.job_status, detail jsonb); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.worker_append_event(job app_public.jobs, prev_status app_public.job_status, detail jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app_private.worker_append_event(job app_public.jobs, prev_status app_public.job_status, detail jsonb) TO heimdex_worker;

--
-- Name: FUNCTION worker_enter_stage(job_id uuid, run_attempt integer, next_stage app_public.job_stage, next_progress smallint); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.worker_enter_stage(job_id uuid, run_attempt integer, next_stage app_public.job_stage, next_progress smallint) FROM PUBLIC;
GRANT ALL ON FUNCTION app_private.worker_enter_stage(job_id uuid, run_attempt integer, next_stage app_public.job_stage, next_progress smallint) TO heimdex_worker;

--
-- Name: FUNCTION worker_fail_job(job_id uuid, run_attempt integer, will_retry boolean, error_code text, error_message text); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.worker_fail_job(job_id uuid, run_attempt integer, will_retry boolean, error_code text, error_message text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_private.worker_fail_job(job_id uuid, run_attempt integer, will_retry boolean, error_code text, error_message text) TO heimdex_worker;

--
-- Name: FUNCTION worker_heartbeat(pool_id text, host text, pid integer); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.worker_heartbeat(pool_id text, host text, pid integer) FROM PUBLIC;
GRANT ALL ON FUNCTION app_private.worker_heartbeat(pool_id text, host text, pid integer) TO heimdex_worker;

--
-- Name: FUNCTION worker_job_state(job app_public.jobs, outcome text); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.worker_job_state(job app_public.jobs, outcome text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_private.worker_job_state(job app_public.jobs, outcome text) TO heimdex_worker;

--
-- Name: FUNCTION worker_release_job(job_id uuid, run_attempt integer, queue_job_id bigint, pool_id text); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.worker_release_job(job_id uuid, run_attempt integer, queue_job_id bigint, pool_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_private.worker_release_job(job_id uuid, run_attempt integer, queue_job_id bigint, pool_id text) TO heimdex_worker;

--
-- Name: FUNCTION worker_retire(pool_id text); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.worker_retire(pool_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_private.worker_retire(pool_id text) TO heimdex_worker;

--
-- Name: FUNCTION worker_start_job(job_id uuid, run_attempt integer); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.worker_start_job(job_id uuid, run_attempt integer) FROM PUBLIC;
GRANT ALL ON FUNCTION app_private.worker_start_job(job_id uuid, run_attempt integer) TO heimdex_worker;

--
-- Name: FUNCTION worker_succeed_job(job_id uuid, run_attempt integer, result jsonb); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.worker_succeed_job(job_id uuid, run_attempt integer, result jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app_private.worker_succeed_job(job_id uuid, run_attempt integer, result jsonb) TO heimdex_worker;

--
-- Name: FUNCTION worker_sweep(stale_after_ms integer); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.worker_sweep(stale_after_ms integer) FROM PUBLIC;
GRANT ALL ON FUNCTION app_private.worker_sweep(stale_after_ms integer) TO heimdex_worker;

--
-- Name: FUNCTION worker_take_turn(job_id uuid, queue_job_id bigint); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.worker_take_turn(job_id uuid, queue_job_id bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION app_private.worker_take_turn(job_id uuid, queue_job_id bigint) TO heimdex_worker;

--
-- Name: FUNCTION worker_transitions(transitions jsonb); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.worker_transitions(transitions jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app_private.worker_transitions(transitions jsonb) TO heimdex_worker;

--
-- Name: FUNCTION worker_unmatched(job_id uuid, repeated boolean); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.worker_unmatched(job_id uuid, repeated boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION app_private.worker_unmatched(job_id uuid, repeated boolean) TO heimdex_worker;

--
-- Name: FUNCTION writing_org(); Type: ACL; Schema: app_private; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_private.writing_org() FROM PUBLIC;

--
-- Name: FUNCTION current_app_role(); Type: ACL; Schema: app_public; Owner: heimdex_owner
--

REVOKE ALL ON FUNCTION app_public.current_app_role() FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.current_app_role() TO heimdex_viewer;
GRANT ALL ON FUNCTION app_public.current_app_role() TO heimdex_worker;

--
-- Name: TABLE audit_events; Type: ACL; Schema: app_public; Owner: heimdex_owner
--

GRANT SELECT ON TABLE app_public.audit_events TO heimdex_admin;

--
-- Name: TABLE job_events; Type: ACL; Schema: app_public; Owner: heimdex_owner
--

GRANT SELECT ON TABLE app_public.job_events TO heimdex_viewer;
GRANT SELECT ON TABLE app_public.job_events TO heimdex_worker;

--
-- Name: COLUMN job_events.job_id; Type: ACL; Schema: app_public; Owner: heimdex_owner
--

GRANT INSERT(job_id) ON TABLE app_public.job_events TO heimdex_worker;

--
-- Name: COLUMN job_events.org_id; Type: ACL; Schema: app_public; Owner: heimdex_owner
--

GRANT INSERT(org_id) ON TABLE app_public.job_events TO heimdex_worker;

--
-- Name: COLUMN job_events.prev_status; Type: ACL; Schema: app_public; Owner: heimdex_owner
--

GRANT INSERT(prev_status) ON TABLE app_public.job_events TO heimdex_worker;

--
-- Name: COLUMN job_events.next_status; Type: ACL; Schema: app_public; Owner: heimdex_owner
--

GRANT INSERT(next_status) ON TABLE app_public.job_events TO heimdex_worker;

--
-- Name: COLUMN job_events.stage; Type: ACL; Schema: app_public; Owner: heimdex_owner
--

GRANT INSERT(stage) ON TABLE app_public.job_events TO heimdex_worker;

--
-- Name: COLUMN job_events.progress; Type: ACL; Schema: app_public; Owner: heimdex_owner
--

GRANT INSERT(progress) ON TABLE app_public.job_events TO heimdex_worker;

--
-- Name: COLUMN job_events.detail; Type: ACL; Schema: app_public; Owner: heimdex_owner
--

GRANT INSERT(detail) ON TABLE app_public.job_events TO heimdex_worker;

--
-- PostgreSQL database dump complete
--
