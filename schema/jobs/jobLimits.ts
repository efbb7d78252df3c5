/**
 * What an org may ask of the job queue (JOBS_MAX_ACTIVE_PER_ORG,
 * JOBS_MAX_ATTEMPTS), handed to the job mutations when the schema is built.
 */
export interface JobLimits {
  /** Queued plus running jobs per org; a create or retry beyond it is refused (QUOTA_EXCEEDED). */
  maxActivePerOrg: number;
  /** A larger `maxAttempts` is lowered to this. */
  maxAttempts: number;
}

/**
 * The transaction-local setting the ledger's queue trigger reads
 * (sql/migrations/000015_fair_queue.sql), as a materialized CTE that a
 * statement selects from so that it is set before the statement's rows are
 * written. `$param` is the placeholder holding `maxActivePerOrg`.
 */
export function quotaCte(param: string): string {
  return `limits as materialized (
      select set_config('heimdex.jobs_max_active_per_org', ${param}::text, true)
    )`;
}
