-- Schemas split by audience, and the claim helpers every policy reads.

-- Functions are not executable by PUBLIC unless granted here.
alter default privileges revoke execute on functions from public;

create schema app_public;
comment on schema app_public is 'Exposed through GraphQL. Every table has forced row-level security.';
create schema app_private;
comment on schema app_private is 'Internals (trigger functions, queue glue); never exposed.';

grant usage on schema app_public to heimdex_viewer, heimdex_worker;
revoke all on schema app_private from public;

-- Claims arrive as transaction-local settings (set_config(..., true)).
-- nullif(.., '') turns an unset or cleared claim into NULL, which matches no
-- row, instead of an error; a malformed org id is treated the same way.

create function app_public.current_org_id() returns uuid
  language sql stable parallel safe
  set search_path = pg_catalog
as $$
  select case
    when nullif(current_setting('jwt.claims.org_id', true), '')
         ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
    then current_setting('jwt.claims.org_id', true)::uuid
  end
$$;
comment on function app_public.current_org_id() is
  E'@behavior -*\nThe caller''s org (claim jwt.claims.org_id), or NULL when unset or malformed.';

create function app_public.current_user_id() returns text
  language sql stable parallel safe
  set search_path = pg_catalog
as $$
  select nullif(current_setting('jwt.claims.sub', true), '')
$$;
comment on function app_public.current_user_id() is
  E'@behavior -*\nThe caller''s subject (claim jwt.claims.sub), or NULL.';

create function app_public.current_app_role() returns text
  language sql stable parallel safe
  set search_path = pg_catalog
as $$
  select case nullif(current_setting('jwt.claims.role', true), '')
    when 'viewer' then 'viewer'
    when 'member' then 'member'
    when 'admin' then 'admin'
  end
$$;
comment on function app_public.current_app_role() is
  E'@behavior -*\nThe caller''s app role (viewer, member, admin; claim jwt.claims.role), or NULL.';

grant execute on function
  app_public.current_org_id(),
  app_public.current_user_id(),
  app_public.current_app_role()
to heimdex_viewer, heimdex_worker;
