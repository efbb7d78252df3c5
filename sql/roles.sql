-- Roles, created or brought back to their intended attributes on every
-- `migrate`. Idempotent, and it only issues a statement when something differs
-- from the intent, so on a managed PostgreSQL (Cloud SQL, RDS), where nobody
-- is superuser, a run over roles that are already right needs no privilege at
-- all: `alter role x nosuperuser` (or noreplication, nobypassrls) is refused
-- to a non-superuser even when x already has that attribute.
-- Passwords are not set here: the platform sets them (Secret Manager), and
-- local mode sets them from its one DATABASE_URL.

do $$
declare
  r record;
  attrs text;
begin
  for r in
    select * from (values
      ('heimdex_owner',         true),
      ('heimdex_authenticator', true),
      ('heimdex_worker',        true),
      ('heimdex_viewer',        false),
      ('heimdex_member',        false),
      ('heimdex_admin',         false)
    ) as v(name, can_login)
  loop
    if not exists (select from pg_roles where rolname = r.name) then
      begin
        execute format('create role %I', r.name);
      exception when duplicate_object then
        null; -- another migrator (other database, same cluster) made it first
      end;
    end if;
    -- The owner is the one role allowed to stay as the platform made it
    -- (it may need CREATEROLE to run this very file on a managed server).
    if r.name <> 'heimdex_owner' then
      select concat_ws(' ',
          case when p.rolcanlogin <> r.can_login
            then case when r.can_login then 'login' else 'nologin' end end,
          case when p.rolsuper then 'nosuperuser' end,
          case when p.rolcreatedb then 'nocreatedb' end,
          case when p.rolcreaterole then 'nocreaterole' end,
          case when p.rolreplication then 'noreplication' end,
          case when p.rolbypassrls then 'nobypassrls' end,
          -- The authenticator holds no privileges of its own: NOINHERIT means
          -- it only gets a request role's rights after `set_config('role', ..., true)`.
          case when r.name = 'heimdex_authenticator' and p.rolinherit then 'noinherit' end)
        into attrs
        from pg_roles p
       where p.rolname = r.name;
      if attrs <> '' then
        execute format('alter role %I %s', r.name, attrs);
      end if;
    end if;
  end loop;

  -- Request roles nest: admin can do what member can, member what viewer can;
  -- the authenticator may become any of them.
  for r in
    select * from (values
      ('heimdex_viewer', 'heimdex_member'),
      ('heimdex_member', 'heimdex_admin'),
      ('heimdex_viewer', 'heimdex_authenticator'),
      ('heimdex_member', 'heimdex_authenticator'),
      ('heimdex_admin',  'heimdex_authenticator')
    ) as v(granted, member)
  loop
    if not pg_has_role(r.member, r.granted, 'member') then
      execute format('grant %I to %I', r.granted, r.member);
    end if;
  end loop;
end
$$;
