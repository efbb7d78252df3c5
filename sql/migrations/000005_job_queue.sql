-- Ledger -> queue glue. Whatever path changes a job's status, the
-- graphile-worker queue follows in the same transaction: no outbox, no broker.
--   insert (queued)                 -> add_job(type, {jobId, orgId}, job_key = id)
--   failed | dead_letter -> queued  -> add_job again (retryJob); replaces the spent queue job
--   queued | running -> canceled    -> remove_job(job_key): gone if waiting; if a
--                                      worker holds it, it is not retried and the
--                                      task sees the cancel between stages
-- A worker's own retry (running -> queued) does not enqueue: graphile-worker
-- still holds that job and retries it itself.

create function app_private.tg_jobs__enqueue() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog
as $$
begin
  if tg_op = 'INSERT' or (old.status in ('failed', 'dead_letter') and new.status = 'queued') then
    perform graphile_worker.add_job(
      identifier   => new.type::text,
      payload      => json_build_object('jobId', new.id, 'orgId', new.org_id),
      max_attempts => new.max_attempts,
      job_key      => new.id::text,
      -- graphile-worker runs lower numbers first; ours runs higher first
      priority     => -new.priority
    );
  elsif new.status = 'canceled' and old.status in ('queued', 'running') then
    perform graphile_worker.remove_job(new.id::text);
  end if;
  return null;
end
$$;
comment on function app_private.tg_jobs__enqueue() is
  'Keeps graphile_worker''s queue in step with the ledger; security definer so request roles need no queue grants.';

create trigger _500_enqueue_insert after insert on app_public.jobs
  for each row execute function app_private.tg_jobs__enqueue();
create trigger _500_enqueue_update after update of status on app_public.jobs
  for each row when (old.status is distinct from new.status)
  execute function app_private.tg_jobs__enqueue();
