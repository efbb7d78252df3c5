-- See exactly what one org's user sees, the way the API sets it up.
-- In psql (as any role that may become the request roles, e.g. the owner
-- of the cluster or heimdex_authenticator):
--   \set org_id '6f1c0c7e-...'
--   \set app_role member          -- viewer | member | admin
--   \set sub 'dba-check'
--   \i sql/audit/impersonate.sql
--   select id, status from app_public.jobs;   -- that org's rows only
--   rollback;                                 -- ends the impersonation
begin;
select set_config('role', 'heimdex_' || :'app_role', true) as role,
       set_config('jwt.claims.org_id', :'org_id', true) as org_id,
       set_config('jwt.claims.sub', :'sub', true) as sub,
       set_config('jwt.claims.role', :'app_role', true) as app_role;
