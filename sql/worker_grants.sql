-- Run after graphile-worker's own migrations on every `migrate`, so tables
-- and functions that a graphile-worker upgrade adds are covered too.
-- The worker runs the queue; it does not own the queue's schema.
grant usage on schema graphile_worker to heimdex_worker;
grant select, insert, update, delete on all tables in schema graphile_worker to heimdex_worker;
grant usage, select on all sequences in schema graphile_worker to heimdex_worker;
grant execute on all functions in schema graphile_worker to heimdex_worker;

-- PostgreSQL lets PUBLIC execute every new function: graphile-worker's
-- add_job, remove_job, force_unlock_workers and the rest would be callable by
-- any role that can reach the schema. Only the worker (above) and the owner
-- (the ledger's security definer trigger) call them. The default privilege
-- covers functions the owner creates later (a graphile-worker upgrade runs as
-- the owner); the revoke covers those already there.
revoke execute on all functions in schema graphile_worker from public;
alter default privileges in schema graphile_worker revoke execute on functions from public;

-- The worker reads graphile-worker's migration record (it checks the schema
-- is current at start-up) but never writes it: only `migrate`, as the owner, does.
revoke insert, update, delete, truncate on graphile_worker.migrations from heimdex_worker;

-- graphile-worker turns on row-level security for its private tables and
-- writes no policy, which shuts out every role but the owner. The worker runs
-- the whole queue (every org's queue jobs; tenancy is enforced on the ledger,
-- not here), so each such table gets one permissive policy for it.
do $$
declare
  t record;
begin
  for t in
    select c.relname
      from pg_class as c
     where c.relnamespace = 'graphile_worker'::regnamespace
       and c.relkind = 'r' and c.relrowsecurity
       and not exists (
         select from pg_policies as p
          where p.schemaname = 'graphile_worker' and p.tablename = c.relname
            and p.policyname = 'heimdex_worker_runs_the_queue')
  loop
    execute format(
      'create policy heimdex_worker_runs_the_queue on graphile_worker.%I for all to heimdex_worker using (true) with check (true)',
      t.relname);
  end loop;
end
$$;
