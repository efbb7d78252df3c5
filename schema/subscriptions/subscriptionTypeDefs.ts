/**
 * The public `Subscription` type. Its fields have no resolvers on purpose:
 * they are not executed by GraphQL's `subscribe`, which would re-read the job
 * once per socket per event. The gateway's fan-out (server/subscriptions/)
 * re-reads each changed job once per distinct claim set, with the query that
 * planJobRead.ts derives from the subscription's own selection set, through
 * the same router and request transaction as any query.
 */
export const SUBSCRIPTION_TYPE_DEFS = /* GraphQL */ `
  type Subscription {
    """
    The job's current state at once, then again after each ledger transition
    (status, stage or progress), until a terminal status (SUCCEEDED, CANCELED,
    DEAD_LETTER) has been sent; then the subscription completes. A job that does
    not exist or belongs to another org gives \`null\` once, then completes.
    Transitions committed within one re-read of each other may arrive as one
    update with the latest state.
    """
    jobUpdated(id: UUID!): Job

    """
    Each job of the caller's org after each ledger transition, optionally only
    when its status (after the transition) is \`status\`. Never completes.
    """
    jobsUpdated(status: JobStatus): Job!
  }
`;
