-- RLS audit report for DBAs. Plain SQL (no psql meta-commands), so it runs in
-- psql and from the test suite alike:
--   psql "$DATABASE_URL" -f sql/audit/rls_report.sql
-- Every result set is one section of the report.

-- 1. Tables: is row-level security enabled and forced, and who owns them?
select n.nspname as schema,
       c.relname as table,
       c.relrowsecurity as rls_enabled,
       c.relforcerowsecurity as rls_forced,
       pg_get_userbyid(c.relowner) as owner,
       (select count(*) from pg_policy p where p.polrelid = c.oid) as policies
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
 where n.nspname in ('app_public', 'app_private')
   and c.relkind in ('r', 'p')
 order by 1, 2;

-- 2. Policies: command, roles, permissive or restrictive, and expressions.
select schemaname as schema,
       tablename as table,
       policyname as policy,
       cmd as command,
       permissive,
       roles,
       qual as using_expression,
       with_check as check_expression
  from pg_policies
 where schemaname in ('app_public', 'app_private')
 order by 1, 2, 3;

-- 3. Table and column grants per role (column grants only where the table
--    grant does not already cover the column).
select table_schema as schema,
       table_name as table,
       grantee as role,
       privilege_type as privilege,
       null::text as column
  from information_schema.role_table_grants
 where table_schema in ('app_public', 'app_private')
   and grantee like 'heimdex\_%'
union all
select cg.table_schema, cg.table_name, cg.grantee, cg.privilege_type, cg.column_name
  from information_schema.column_privileges cg
 where cg.table_schema in ('app_public', 'app_private')
   and cg.grantee like 'heimdex\_%'
   and not exists (
     select 1 from information_schema.role_table_grants tg
      where tg.table_schema = cg.table_schema and tg.table_name = cg.table_name
        and tg.grantee = cg.grantee and tg.privilege_type = cg.privilege_type)
 order by 1, 2, 3, 4, 5;

-- 4. Roles: the attributes that matter, and who may become whom.
select r.rolname as role,
       r.rolcanlogin as login,
       r.rolinherit as inherit,
       r.rolsuper as superuser,
       r.rolbypassrls as bypass_rls,
       r.rolcreaterole as create_role,
       array(select g.rolname from pg_auth_members m join pg_roles g on g.oid = m.roleid
              where m.member = r.oid order by 1) as member_of
  from pg_roles r
 where r.rolname like 'heimdex\_%'
 order by 1;

-- 5. Functions in our schemas: security definer or invoker, volatility,
--    pinned search_path, and who may execute them.
select n.nspname as schema,
       p.oid::regprocedure as function,
       case when p.prosecdef then 'definer' else 'invoker' end as security,
       case p.provolatile when 'i' then 'immutable' when 's' then 'stable' else 'volatile' end as volatility,
       p.proconfig as settings,
       array(select a.grantee::regrole::text from aclexplode(p.proacl) a
              where a.privilege_type = 'EXECUTE' order by 1) as executable_by
  from pg_proc p
  join pg_namespace n on n.oid = p.pronamespace
 where n.nspname in ('app_public', 'app_private')
 order by 1, 2::text;

-- 6. Triggers on our tables, and whether each fires: the append-only ones
--    (`_100_append_only`, `_100_refuse_truncate`) and the status machine. A
--    missing or disabled one is the trace of an owner who turned it off.
select n.nspname as schema,
       c.relname as table,
       t.tgname as trigger,
       p.proname as function,
       case t.tgenabled when 'D' then 'disabled' when 'O' then 'enabled'
                        when 'R' then 'replica only' else 'always' end as fires
  from pg_trigger t
  join pg_class c on c.oid = t.tgrelid
  join pg_namespace n on n.oid = c.relnamespace
  join pg_proc p on p.oid = t.tgfoid
 where n.nspname in ('app_public', 'app_private') and not t.tgisinternal
 order by 1, 2, 3;
