-- The claim helpers again, same names, same results, faster.
--
-- Every row-level security policy calls one of them, once per policy per
-- statement (an UPDATE under RLS evaluates three: select, using, with check).
-- As first written (000001) each carried `set search_path = pg_catalog`, and a
-- SQL function with a SET clause can be neither inlined nor called cheaply:
-- measured on PostgreSQL 15, app_public.current_org_id() cost about 30 us a
-- call, and a one-row UPDATE as heimdex_worker 150 us against 60 us without
-- RLS. In `npm run bench:worker` (four transitions per job, each an UPDATE and
-- an INSERT under RLS) this file cut the database's CPU per job by a fifth,
-- from 2.4-2.6 ms to 1.9-2.0 ms, and raised jobs/s by as much.
--
-- Without the SET clause they are inlined into the query that calls them
-- (about 5 us). What the SET clause protected against, a caller's search_path
-- shadowing a function or operator the body uses, is closed another way: every
-- function, operator and type in the bodies is schema-qualified (no nullif or
-- simple CASE, whose `=` is looked up through the search_path). An unset,
-- empty or malformed claim still gives NULL.

create or replace function app_public.current_org_id() returns uuid
  language sql stable parallel safe
as $$
  select case
    when pg_catalog.current_setting('jwt.claims.org_id', true)
         operator(pg_catalog.~*) '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
    then pg_catalog.current_setting('jwt.claims.org_id', true)::pg_catalog.uuid
  end
$$;

create or replace function app_public.current_user_id() returns text
  language sql stable parallel safe
as $$
  select case
    when pg_catalog.current_setting('jwt.claims.sub', true) operator(pg_catalog.<>) ''
    then pg_catalog.current_setting('jwt.claims.sub', true)
  end
$$;

create or replace function app_public.current_app_role() returns text
  language sql stable parallel safe
as $$
  select case
    when pg_catalog.current_setting('jwt.claims.role', true) operator(pg_catalog.=) 'viewer'
    then 'viewer'
    when pg_catalog.current_setting('jwt.claims.role', true) operator(pg_catalog.=) 'member'
    then 'member'
    when pg_catalog.current_setting('jwt.claims.role', true) operator(pg_catalog.=) 'admin'
    then 'admin'
  end
$$;
