-- Roles, created or brought back to their intended attributes on every
-- `migrate`. Idempotent, and limited to what CREATEROLE may do, so it also
-- runs on a managed PostgreSQL (Cloud SQL, RDS) where nobody is superuser.
-- Passwords are not set here: the platform sets them (Secret Manager), and
-- local mode sets them from its one DATABASE_URL.

do $$
declare
  r record;
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
      execute format(
        'alter role %I %s nosuperuser nocreatedb nocreaterole noreplication nobypassrls',
        r.name,
        case when r.can_login then 'login' else 'nologin' end
      );
    end if;
  end loop;
end
$$;

-- The authenticator holds no privileges of its own: NOINHERIT means it only
-- gets a request role's rights after `set_config('role', ..., true)`.
alter role heimdex_authenticator noinherit;

-- Request roles nest: admin can do what member can, member what viewer can.
grant heimdex_viewer to heimdex_member;
grant heimdex_member to heimdex_admin;
grant heimdex_viewer, heimdex_member, heimdex_admin to heimdex_authenticator;
