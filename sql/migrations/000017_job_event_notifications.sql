-- Live progress: every ledger row notifies, in the transaction that writes it.
--
-- A trigger on app_public.job_events, not a call in each transition function:
-- every writer of the ledger (the API's createJob/cancelJob/retryJob, the
-- worker's transitions, a DBA by hand) appends an event, so every transition
-- notifies and none can forget to. NOTIFY is transactional: PostgreSQL
-- delivers it at commit and drops it on rollback, so a listener never hears
-- of a transition that did not happen, and hears of those of one job in
-- commit order.
--
-- The payload carries ids only, {"org_id": ..., "job_id": ...}. A listener
-- learns that a job of an org changed, never what it now is: the API re-reads
-- the job under each subscriber's claims, so row-level security decides what
-- a subscriber sees (server/subscriptions/). One channel for all orgs: each
-- API process LISTENs once, on one connection, whatever its subscribers'
-- orgs. That connection must be a direct one (session state): PgBouncer in
-- transaction mode would hand LISTEN to a server connection it then reuses.
--
-- Security invoker without a search_path setting (see sql/CONVENTIONS.md): it
-- runs as whoever appends the event and names every function it calls
-- schema-qualified. A trigger function's EXECUTE right is checked when the
-- trigger is created, not when it fires, so no role needs a grant on it.

create function app_private.tg__job_events_notify() returns trigger
  language plpgsql volatile
as $$
begin
  perform pg_catalog.pg_notify(
    'heimdex_job_events',
    pg_catalog.json_build_object('org_id', new.org_id, 'job_id', new.job_id)::text
  );
  return null;
end
$$;
comment on function app_private.tg__job_events_notify() is
  'Notifies heimdex_job_events with {org_id, job_id} when a ledger row commits (ids only).';

create trigger _900_notify after insert on app_public.job_events
  for each row execute function app_private.tg__job_events_notify();
