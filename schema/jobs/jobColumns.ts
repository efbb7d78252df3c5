/**
 * A job row as the type-graphql `Job` reads it. Timestamps use PostGraphile's
 * own format (@dataplan/pg's timestamptz codec), so a job looks the same
 * whichever engine returned it.
 */
const TIMESTAMP_FORMAT = `'YYYY-MM-DD"T"HH24:MI:SS.USTZH:TZM'`;

export function jobColumns(alias: string): string {
  const ts = (column: string) => `to_char(${alias}.${column}, ${TIMESTAMP_FORMAT})`;
  return `${alias}.id, ${alias}.org_id as "orgId", ${alias}.type, ${alias}.status, ${alias}.stage,
    ${alias}.progress, ${alias}.attempt, ${alias}.max_attempts as "maxAttempts", ${alias}.priority,
    ${alias}.fail_at_stage as "failAtStage", ${alias}.idempotency_key as "idempotencyKey",
    ${alias}.requested_by as "requestedBy", ${alias}.result, ${alias}.last_error_code as "lastErrorCode",
    ${alias}.last_error_message as "lastErrorMessage", ${ts('created_at')} as "createdAt",
    ${ts('updated_at')} as "updatedAt", ${ts('started_at')} as "startedAt",
    ${ts('finished_at')} as "finishedAt"`;
}

/**
 * One statement calling a ledger write function (`app_private.create_job`,
 * `cancel_job`, `retry_job`), each of which returns rows with the job in a
 * `job` column: the row's `outcome` columns (SQL, over alias `r`), then the
 * job's columns as `jobColumns` gives them.
 */
export function jobFromLedgerCall(call: string, outcome: string): string {
  return `select ${outcome}, ${jobColumns('j')}
    from ${call} as r cross join lateral (select (r.job).*) as j`;
}
