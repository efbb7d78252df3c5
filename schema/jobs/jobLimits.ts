/**
 * What an org may ask of the job queue (JOBS_MAX_ACTIVE_PER_ORG,
 * JOBS_MAX_ATTEMPTS), handed to the job mutations when the schema is built
 * and passed to the ledger's write functions
 * (sql/migrations/000019_member_write_functions.sql).
 */
export interface JobLimits {
  /** Queued plus running jobs per org; a create or retry beyond it is refused (QUOTA_EXCEEDED). */
  maxActivePerOrg: number;
  /** A larger `maxAttempts`, or the default when it is larger, is lowered to this. */
  maxAttempts: number;
}
