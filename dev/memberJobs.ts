/**
 * Jobs made and changed by the API's own code, for tests and benchmarks:
 * schema/jobs' createJob and cancelJob, in a request transaction as
 * heimdex_member with a member's claims (server/db/requestTransaction.ts),
 * so the job, its event and its audit row are written as a request writes
 * them. A test cannot pass on a shortcut the product does not take.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { RequestTransaction } from '../server/db/requestTransaction.js';
import { createJob as createJobInRequest } from '../schema/jobs/createJob.js';
import { cancelJob as cancelJobInRequest } from '../schema/jobs/changeJobStatus.js';
import { JobType, type JobStage } from '../schema/typegraphql/enums.js';
import { JOB_LIMIT_DEFAULTS } from '../runtime/config.js';

/** The authenticator's URL (a pool of one for this call) or its pool. */
type Api = string | pg.Pool;

/** Generous: tests share a busy machine, and a request's own timeout is not under test here. */
const STATEMENT_TIMEOUT_MS = 60_000;

/** A member's request transaction (read-write), open until `finish`. */
export interface MemberRequest {
  db: RequestTransaction;
  /** Commits or rolls back, and ends the pool of one made for a URL. */
  finish(commit: boolean): Promise<void>;
}

/** A request transaction as a member of `orgId`, as the API opens one for a mutation. */
export function memberRequest(api: Api, orgId: string): MemberRequest {
  const pool = typeof api === 'string' ? new pg.Pool({ connectionString: api, max: 1 }) : api;
  const db = new RequestTransaction(
    { acquire: () => pool.connect() },
    {
      claims: { sub: 'test-user', orgId, role: 'member' },
      requestId: randomUUID(),
      statementTimeoutMs: STATEMENT_TIMEOUT_MS,
      preparedStatements: true,
    },
  );
  db.setReadOnly(false);
  return {
    db,
    async finish(commit) {
      try {
        await db.finish(commit);
      } finally {
        if (pool !== api) await pool.end();
      }
    },
  };
}

async function asMember<T>(
  api: Api,
  orgId: string,
  fn: (db: RequestTransaction) => Promise<T>,
): Promise<T> {
  const request = memberRequest(api, orgId);
  let result: T;
  try {
    result = await fn(request.db);
  } catch (err) {
    await request.finish(false);
    throw err;
  }
  await request.finish(true);
  return result;
}

/** The createJob mutation: a mock_process job, its first event and its audit row. */
export function createJob(
  api: Api,
  orgId: string,
  options: { failAtStage?: `${JobStage}`; maxAttempts?: number; priority?: number } = {},
): Promise<string> {
  return asMember(api, orgId, async (db) => {
    const { job } = await createJobInRequest(
      db,
      {
        type: JobType.MOCK_PROCESS,
        failAtStage: options.failAtStage as JobStage | undefined,
        maxAttempts: options.maxAttempts,
        priority: options.priority,
      },
      JOB_LIMIT_DEFAULTS,
    );
    return job.id;
  });
}

/** The cancelJob mutation: queued|running -> canceled, its event and its audit row. */
export async function cancelJob(api: Api, orgId: string, id: string): Promise<void> {
  await asMember(api, orgId, (db) => cancelJobInRequest(db, id));
}
