/**
 * The API and the worker through a real PgBouncer in transaction mode, three
 * server connections shared by every client (DB_POOLER=transaction):
 * - two orgs hammering the API at once: no response, row or setting crosses;
 * - a session that follows another org's transaction on the same server
 *   connection (same pg_backend_pid) carries none of its claims;
 * - named statements do break through PgBouncer 1.18, and the switch avoids them;
 * - the worker runs jobs end to end, its LISTEN straight to PostgreSQL.
 * Without PgBouncer installed these tests fail, saying how to install it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../support/testDatabase.js';
import { startTestApi, type TestApi } from '../../support/testApi.js';
import { startTestWorker } from '../../support/testWorker.js';
import { startPgBouncer, type PgBouncer } from '../../../dev/pgBouncer.js';
import { tokenFor } from '../../support/tokens.js';
import { twoOrgFuzz } from '../../support/twoOrgFuzz.js';
import { adminQuery } from '../../support/adminSql.js';
import { graphql } from '../../support/graphql.js';
import { waitFor } from '../../support/waitFor.js';
import { RequestTransaction } from '../../../server/db/requestTransaction.js';
import { queryWithTransactionStart } from '../../../server/db/transactionStart.js';
import type { RequestClaims } from '../../../server/auth/claims.js';

const ORG_A = randomUUID();
const ORG_B = randomUUID();
let db: TestDatabase;
let bouncer: PgBouncer;
let api: TestApi;
/** Clients of PgBouncer as heimdex_authenticator: more of them than its 3 server connections. */
let pooled: pg.Pool;

const SESSION = `select current_user as "user",
  current_setting('jwt.claims.org_id', true) as org,
  current_setting('jwt.claims.sub', true) as sub,
  current_setting('jwt.claims.role', true) as role,
  pg_backend_pid() as pid`;

function member(orgId: string): RequestClaims {
  return { sub: `user-${orgId.slice(0, 4)}`, orgId, role: 'member' };
}

function transaction(claims: RequestClaims): RequestTransaction {
  return new RequestTransaction(
    { acquire: () => pooled.connect() },
    {
      claims,
      requestId: randomUUID(),
      statementTimeoutMs: 5_000,
      preparedStatements: false,
    },
  );
}

before(async () => {
  db = await createTestDatabase();
  bouncer = await startPgBouncer(db.urls.admin, { poolSize: 3 });
  pooled = new pg.Pool({ connectionString: bouncer.through(db.urls.api), max: 12 });
  api = await startTestApi(db, {
    apiUrl: bouncer.through(db.urls.api),
    env: { DB_POOLER: 'transaction', DB_POOL_MAX: '8' },
  });
});
after(async () => {
  await api?.stop();
  await pooled?.end();
  await bouncer?.stop();
  await db?.drop();
});

describe('the API through PgBouncer (transaction mode, 3 server connections)', () => {
  it('keeps two orgs hammering at once apart: no response or row crosses', async () => {
    if (api.config.auth.provider !== 'dev') throw new Error('dev auth expected');
    const secret = api.config.auth.secret;
    const result = await twoOrgFuzz({
      urls: [api.url],
      orgs: [
        { name: 'A', id: ORG_A, token: await tokenFor(secret, ORG_A) },
        { name: 'B', id: ORG_B, token: await tokenFor(secret, ORG_B) },
      ],
      rounds: 6,
      perRound: 12,
    });
    assert.equal(result.requests, 6 * 12 * 2);
    const servers = await adminQuery<{ n: number }>(
      db,
      // The API's LISTEN connection goes straight to PostgreSQL, not through the pooler.
      `select count(*)::int as n from pg_stat_activity
        where datname = current_database() and usename = 'heimdex_authenticator'
          and application_name <> 'heimdex-api listen'`,
    );
    assert.ok(servers[0]!.n <= 3, `PgBouncer opened ${servers[0]!.n} server connections`);
  });

  it('never lets a setting cross: many transactions of two orgs share 3 server connections', async () => {
    const seen = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const claims = member(i % 2 === 0 ? ORG_A : ORG_B);
        const tx = transaction(claims);
        const { rows } = await tx.query<{ org: string; pid: number }>({ text: SESSION });
        // A second statement in the same transaction: still the same session and claims.
        const again = await tx.query<{ org: string; pid: number }>({ text: SESSION });
        await tx.finish(true);
        assert.equal(rows[0]!.org, claims.orgId);
        assert.deepEqual(again.rows[0], rows[0]);
        return rows[0]!.pid;
      }),
    );
    const pids = new Set(seen);
    assert.ok(pids.size <= 3, `${pids.size} server connections for 60 transactions`);
  });

  it("leaves nothing of an org's transaction to the next session on that server connection", async () => {
    for (const commit of [true, false]) {
      const tx = transaction(member(ORG_A));
      const { rows } = await tx.query<{ org: string; pid: number }>({ text: SESSION });
      assert.equal(rows[0]!.org, ORG_A);
      await tx.finish(commit);
      // PgBouncer hands out its most recently used server connection first;
      // ask until a session lands on the one org A just used.
      const after = await waitFor('a session on the same server connection', async () => {
        const client = await pooled.connect();
        try {
          const session = (await client.query(SESSION)).rows[0] as Record<string, unknown>;
          return session['pid'] === rows[0]!.pid ? session : undefined;
        } finally {
          client.release();
        }
      });
      assert.deepEqual(
        {
          ...after,
          org: after['org'] || null,
          sub: after['sub'] || null,
          role: after['role'] || null,
        },
        { user: 'heimdex_authenticator', org: null, sub: null, role: null, pid: rows[0]!.pid },
        `after a ${commit ? 'commit' : 'rollback'}`,
      );
    }
  });

  it('needs the switch: a prepared begin fails on the next server connection, unnamed does not', async () => {
    const run = async (preparedStatements: boolean): Promise<unknown> => {
      const a = await pooled.connect();
      const b = await pooled.connect();
      const start = async (): Promise<string> => {
        const { rows } = await queryWithTransactionStart<{ org: string }>(
          a,
          { text: SESSION, name: preparedStatements ? 'heimdex_test_session' : undefined },
          true,
          {
            claims: member(ORG_A),
            requestId: randomUUID(),
            statementTimeoutMs: 5_000,
            preparedStatements,
          },
        );
        await a.query('commit');
        return rows[0]!.org;
      };
      try {
        // a prepares on server connection S (if it prepares at all); b then
        // holds S in a transaction, so a's next transaction runs on another.
        await start();
        await b.query('begin');
        await b.query('select 1');
        try {
          return await start();
        } catch (err) {
          return err;
        } finally {
          await b.query('rollback');
        }
      } finally {
        a.release(true);
        b.release(true);
      }
    };
    const failure = await run(true);
    assert.ok(failure instanceof Error, 'prepared statements worked through PgBouncer 1.18');
    assert.match(failure.message, /prepared statement .* does not exist/);
    assert.equal(await run(false), ORG_A);
  });

  it('answers GraphQL through the pooler, including errors that abort the transaction', async () => {
    if (api.config.auth.provider !== 'dev') throw new Error('dev auth expected');
    const token = await tokenFor(api.config.auth.secret, ORG_A);
    const bad = await graphql(api.http(), token, 'query($id: UUID!) { job(id: $id) { id } }', {
      id: 'not-a-uuid',
    });
    assert.equal(bad.status, 400);
    const good = await graphql(api.http(), token, '{ jobs(first: 1) { totalCount } }');
    assert.equal(good.body.errors, undefined);
  });
});

describe('the worker through PgBouncer', () => {
  it('runs jobs end to end, woken by LISTEN on its direct connection', async () => {
    if (api.config.auth.provider !== 'dev') throw new Error('dev auth expected');
    const worker = await startTestWorker(bouncer.through(db.urls.worker), {
      DB_POOLER: 'transaction',
      DIRECT_DATABASE_URL: db.urls.worker,
      // Only a notification can wake it in time: the poll is a minute away.
      WORKER_POLL_INTERVAL_MS: '60000',
      WORKER_CONCURRENCY: '4',
    });
    try {
      const listening = await waitFor('the LISTEN session on PostgreSQL', async () => {
        const rows = await adminQuery<{ query: string; client_port: number | null }>(
          db,
          `select query, client_port from pg_stat_activity
            where datname = current_database() and application_name = 'heimdex-worker listen'`,
        );
        return rows.find((row) => row.query.includes('LISTEN'));
      });
      assert.match(listening.query, /LISTEN "jobs:insert"/);
      const token = await tokenFor(api.config.auth.secret, ORG_B);
      const ids: string[] = [];
      for (let i = 0; i < 8; i++) {
        const { body } = await graphql(
          api.http(),
          token,
          'mutation { createJob(input: { type: MOCK_PROCESS }) { job { id } } }',
        );
        ids.push((body.data!['createJob'] as { job: { id: string } }).job.id);
      }
      await waitFor(
        'every job to succeed',
        async () => {
          const rows = await adminQuery<{ n: number }>(
            db,
            `select count(*)::int as n from app_public.jobs where id = any($1) and status = 'succeeded'`,
            [ids],
          );
          return rows[0]!.n === ids.length;
        },
        { timeoutMs: 20_000 },
      );
      // The worker's job statements went through PgBouncer: its server
      // connections are PgBouncer's (application_name is the client's, set per
      // server connection by PgBouncer), never more than the pool.
      const workerServers = await adminQuery<{ n: number }>(
        db,
        `select count(*)::int as n from pg_stat_activity
          where datname = current_database() and usename = 'heimdex_worker'
            and application_name <> 'heimdex-worker listen'`,
      );
      assert.ok(workerServers[0]!.n <= 3);
    } finally {
      await worker.stop();
    }
  });
});
