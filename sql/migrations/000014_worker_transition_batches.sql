-- Group commit for the worker's ledger transitions: the transitions of
-- different jobs that are ready at the same moment run in one statement, so
-- one transaction and one durable commit (WAL flush) serves them all.
--
-- app_private.worker_transitions takes a jsonb array of transitions and
-- returns a jsonb array of states, one per transition, in the same order.
-- For each transition it first sets that job's org as the claim
-- (transaction-local, exactly as a request sets it), then calls the same
-- transition function of 000010_worker_transitions.sql that a lone
-- transition calls, so row-level security confines each one to its own org.
--
-- Each transition runs in its own subtransaction (a plpgsql exception block
-- is a savepoint): an error in one job's transition rolls back that
-- transition only and is reported as its outcome 'error' with the SQLSTATE;
-- the others commit. The claim is set again before every transition, so an
-- error can never leave one job's org in force for the next.
--
-- The function is security invoker and granted to heimdex_worker only: it
-- adds no privilege, it only shares the commit.
--
-- Each element: {"op": "start" | "stage" | "succeed" | "fail", "orgId", "jobId",
-- "attempt", and per op "stage", "progress" | "result" | "willRetry", "code", "message"}.

create function app_private.worker_transitions(transitions jsonb) returns jsonb
  language plpgsql volatile
as $$
declare
  t jsonb;
  state jsonb;
  states jsonb := '[]'::jsonb;
begin
  for t in select * from pg_catalog.jsonb_array_elements(transitions) loop
    begin
      perform pg_catalog.set_config('jwt.claims.org_id', t->>'orgId', true);
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
comment on function app_private.worker_transitions(jsonb) is
  'Group commit: several jobs'' transitions in one transaction, each under its own org claim and savepoint.';

grant execute on function app_private.worker_transitions(jsonb) to heimdex_worker;
