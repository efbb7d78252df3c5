-- Readiness (GET /readyz): the API checks that every migration it ships has
-- been applied before it takes traffic. The authenticator may read which
-- migrations ran (their ids, nothing else); it still holds no privilege on
-- any application table.
grant usage on schema heimdex_migrations to heimdex_authenticator;
grant select (id) on heimdex_migrations.applied to heimdex_authenticator;
