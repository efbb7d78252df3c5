-- Run after graphile-worker's own migrations on every `migrate`, so tables
-- and functions that a graphile-worker upgrade adds are covered too.
-- The worker runs the queue; it does not own the queue's schema.
grant usage on schema graphile_worker to heimdex_worker;
grant select, insert, update, delete on all tables in schema graphile_worker to heimdex_worker;
grant usage, select on all sequences in schema graphile_worker to heimdex_worker;
grant execute on all functions in schema graphile_worker to heimdex_worker;
