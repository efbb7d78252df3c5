-- Why is a job waiting? One row per queued job, in the order graphile-worker
-- will take them, with what stands in its way. Plain SQL (no psql
-- meta-commands), run as a role that bypasses row-level security (the
-- cluster's superuser) to see every org:
--   psql "$DATABASE_URL" -f sql/audit/queue_waits.sql
-- Add `where org_id = '...'` (or `id = '...'`) at the end for one org or job.
--
--   position          its place among the queue jobs that are due and free
--   ahead_other_orgs  how many of those are other orgs' jobs
--   ahead_same_org    how many are its own org's (they keep its org's order)
--   why               'next up' / 'waiting its turn' / 'retry backoff' /
--                     'taken by a worker' (graphile-worker holds it; the
--                     ledger says queued until the run's first transition)
--   queue_turn        its fair turn (sql/migrations/000015_fair_queue.sql);
--                     run_at and queue_priority are what graphile-worker orders by
--   running_now       how many jobs of any org the workers run now, and of its org
with queue as (
  select j.id, j.org_id, j.priority as tenant_priority, j.queue_turn, j.created_at,
         q.id as queue_job_id, q.priority as queue_priority, q.run_at, q.attempts,
         q.max_attempts, q.locked_at, q.locked_by,
         q.locked_at is null and q.run_at <= now() as due
    from app_public.jobs as j
    join graphile_worker._private_jobs as q on q.key = j.id::text
   where j.status = 'queued'
), ranked as (
  select queue.*,
         case when due then row_number() over (partition by due order by queue_priority, run_at, queue_job_id) end as position,
         case when due then count(*) filter (where due) over (partition by org_id order by queue_priority, run_at, queue_job_id) - 1 end as ahead_same_org
    from queue
), running as (
  select org_id, count(*) as n from app_public.jobs where status = 'running' group by org_id
)
select r.org_id, r.id, r.position,
       r.position - 1 - r.ahead_same_org as ahead_other_orgs,
       r.ahead_same_org,
       case
         when r.locked_at is not null then 'taken by a worker (' || r.locked_by || ')'
         when r.run_at > now() then 'retry backoff until ' || r.run_at
         when r.position = 1 then 'next up'
         else 'waiting its turn'
       end as why,
       r.tenant_priority, r.queue_turn, r.run_at, r.queue_priority, r.attempts, r.max_attempts,
       (select coalesce(sum(n), 0) from running) as running_now,
       coalesce(mine.n, 0) as running_now_same_org,
       r.created_at
  from ranked as r
  left join running as mine on mine.org_id = r.org_id
 order by r.position nulls last, r.run_at;
