-- Append-only against TRUNCATE too.
--
-- 000003 and 000004 refuse UPDATE on job_events and audit_events with a row
-- trigger, and nobody has DELETE; but TRUNCATE fires no row trigger, and the
-- tables' owner (heimdex_owner, the role `migrate` runs as) may always
-- truncate its own tables. A statement trigger refuses it, for every role.
-- `truncate app_public.jobs cascade` reaches job_events and is refused too.
--
-- What the owner can still do, being the owner: disable or drop these
-- triggers, or drop the tables. Each is DDL, which `log_statement = 'ddl'`
-- (or pgaudit) records; sql/audit/rls_report.sql lists the append-only
-- triggers and whether each is enabled, so a DBA sees one that is gone.

create function app_private.tg__refuse_truncate() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog
as $$
begin
  raise exception '%.% is append-only: truncate is refused', tg_table_schema, tg_table_name
    using errcode = 'HX403';
end
$$;
comment on function app_private.tg__refuse_truncate() is
  'Statement trigger: append-only tables refuse TRUNCATE, owner included.';

create trigger _100_refuse_truncate before truncate on app_public.job_events
  for each statement execute function app_private.tg__refuse_truncate();
create trigger _100_refuse_truncate before truncate on app_public.audit_events
  for each statement execute function app_private.tg__refuse_truncate();
