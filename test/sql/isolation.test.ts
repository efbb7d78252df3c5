/**
 * Row-level security as each role sees it, with claims set exactly as the API
 * sets them. These tests try to cross tenants and must be refused by Postgres.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { adminQuery } from '../support/adminSql.js';
import {
  inRolledBackTransaction as tx,
  sqlState,
  type RequestRole,
} from '../support/sqlSession.js';

const ORG_A = randomUUID();
const ORG_B = randomUUID();
let db: TestDatabase;
let jobA: string;
let jobB: string;

const INSUFFICIENT_PRIVILEGE = '42501';

function asUser(role: RequestRole, orgId: string | null, sub = 'user-1') {
  return <T>(fn: (c: pg.Client) => Promise<T>) =>
    tx(db.urls.api, role, { orgId, sub, role: role.replace('heimdex_', '') }, fn);
}

function asWorker(orgId: string | null) {
  return <T>(fn: (c: pg.Client) => Promise<T>) => tx(db.urls.worker, null, { orgId }, fn);
}

async function seedJob(orgId: string): Promise<string> {
  const c = new pg.Client({ connectionString: db.urls.admin });
  await c.connect();
  try {
    const { rows } = await c.query<{ id: string }>(
      `insert into app_public.jobs (org_id, type, requested_by) values ($1, 'mock_process', 'seed') returning id`,
      [orgId],
    );
    await c.query(
      `insert into app_public.job_events (job_id, org_id, next_status) values ($1, $2, 'queued')`,
      [rows[0]!.id, orgId],
    );
    await c.query(
      `insert into app_public.audit_events (org_id, actor, action, target_type, target_id)
       values ($1, 'seed', 'job.create', 'job', $2)`,
      [orgId, rows[0]!.id],
    );
    return rows[0]!.id;
  } finally {
    await c.end();
  }
}

before(async () => {
  db = await createTestDatabase();
  jobA = await seedJob(ORG_A);
  jobB = await seedJob(ORG_B);
});
after(() => db.drop());

describe('reading', () => {
  for (const role of ['heimdex_viewer', 'heimdex_member', 'heimdex_admin'] as const) {
    it(`${role} sees its own org's jobs and events and none of another org's`, async () => {
      await asUser(
        role,
        ORG_A,
      )(async (c) => {
        const jobs = await c.query('select id, org_id from app_public.jobs');
        assert.deepEqual(
          jobs.rows.map((r) => r.id),
          [jobA],
        );
        const byId = await c.query('select id from app_public.jobs where id = $1', [jobB]);
        assert.equal(byId.rowCount, 0);
        const count = await c.query('select count(*)::int as n from app_public.jobs');
        assert.equal(count.rows[0].n, 1);
        const events = await c.query('select job_id from app_public.job_events');
        assert.deepEqual(
          events.rows.map((r) => r.job_id),
          [jobA],
        );
      });
    });
  }

  it('only admins read audit events, and only their own org', async () => {
    await asUser(
      'heimdex_admin',
      ORG_A,
    )(async (c) => {
      const { rows } = await c.query('select org_id, target_id from app_public.audit_events');
      assert.deepEqual(rows, [{ org_id: ORG_A, target_id: jobA }]);
    });
    for (const role of ['heimdex_viewer', 'heimdex_member'] as const) {
      const code = await sqlState(
        asUser(role, ORG_A)((c) => c.query('select * from app_public.audit_events')),
      );
      assert.equal(code, INSUFFICIENT_PRIVILEGE, role);
    }
  });

  for (const [label, orgId] of [
    ['an unset', null],
    ['an empty', ''],
    ['a malformed', 'not-a-uuid'],
  ] as const) {
    it(`${label} org claim gives zero rows and no error`, async () => {
      await asUser(
        'heimdex_admin',
        orgId,
      )(async (c) => {
        for (const table of ['jobs', 'job_events', 'audit_events']) {
          const { rows } = await c.query(
            `select count(*)::int as n from app_public.${c.escapeIdentifier(table)}`,
          );
          assert.equal(rows[0].n, 0, table);
        }
      });
    });
  }

  it('the authenticator alone has no access at all', async () => {
    for (const table of ['jobs', 'job_events', 'audit_events']) {
      const code = await sqlState(
        tx(db.urls.api, null, { orgId: ORG_A }, (c) =>
          c.query(`select * from app_public.${c.escapeIdentifier(table)}`),
        ),
      );
      assert.equal(code, INSUFFICIENT_PRIVILEGE, table);
    }
  });

  it('a connection without set_config keeps no claims from an earlier transaction', async () => {
    const c = new pg.Client({ connectionString: db.urls.api });
    await c.connect();
    try {
      await c.query('begin');
      await c.query(
        "select set_config('role', 'heimdex_member', true), set_config('jwt.claims.org_id', $1, true)",
        [ORG_A],
      );
      await c.query('commit');
      const { rows } = await c.query(
        "select current_user as role, current_setting('jwt.claims.org_id', true) as org",
      );
      assert.deepEqual(rows[0], { role: 'heimdex_authenticator', org: '' });
    } finally {
      await c.end();
    }
  });
});

describe('writing', () => {
  // Members write through app_private.create_job, cancel_job and retry_job
  // only (test/sql/memberWrites.test.ts); here, everything else is refused.
  for (const role of ['heimdex_viewer', 'heimdex_member', 'heimdex_admin'] as const) {
    it(`${role} writes no job, job event or audit event directly`, async () => {
      for (const [sql, values] of [
        [`insert into app_public.jobs (type) values ('mock_process')`, []],
        [`insert into app_public.jobs (org_id, type) values ($1, 'mock_process')`, [ORG_A]],
        [`update app_public.jobs set status = 'canceled' where id = $1`, [jobA]],
        [`update app_public.jobs set attempt = 0, last_error_code = null where id = $1`, [jobA]],
        [`insert into app_public.job_events (job_id, next_status) values ($1, 'canceled')`, [jobA]],
        [`insert into app_public.audit_events (action) values ('job.cancel')`, []],
      ] as const) {
        assert.equal(
          await sqlState(asUser(role, ORG_A)((c) => c.query(sql, [...values]))),
          INSUFFICIENT_PRIVILEGE,
          sql,
        );
      }
    });
  }

  it('a viewer cannot create jobs', async () => {
    for (const sql of [
      `insert into app_public.jobs (type) values ('mock_process')`,
      `select app_private.create_job('mock_process', null, null, null, null, 10, 3)`,
    ]) {
      const code = await sqlState(asUser('heimdex_viewer', ORG_A)((c) => c.query(sql)));
      assert.equal(code, INSUFFICIENT_PRIVILEGE, sql);
    }
  });

  it("a cancel or a retry of another org's job finds nothing and changes nothing", async () => {
    await asUser(
      'heimdex_member',
      ORG_A,
    )(async (c) => {
      for (const sql of [
        'select * from app_private.cancel_job($1)',
        'select * from app_private.retry_job($1, 10)',
      ]) {
        assert.equal((await c.query(sql, [jobB])).rowCount, 0, sql);
      }
    });
    const untouched = await adminQuery(
      db,
      `select j.status, (select count(*)::int from app_public.job_events e where e.job_id = j.id) as events,
              (select count(*)::int from app_public.audit_events a where a.target_id = j.id::text) as audits
         from app_public.jobs j where j.id = $1`,
      [jobB],
    );
    assert.deepEqual(untouched, [{ status: 'queued', events: 1, audits: 1 }]);
  });

  it("an event hung on another org's job is refused", async () => {
    // The worker is the one role left that appends events directly.
    const code = await sqlState(
      asWorker(ORG_A)((c) =>
        c.query(
          `insert into app_public.job_events (job_id, org_id, next_status) values ($1, $2, 'queued')`,
          [jobB, ORG_B],
        ),
      ),
    );
    assert.equal(code, INSUFFICIENT_PRIVILEGE);
    // Naming its own org fails the (org_id, job_id) foreign key instead.
    const fk = await sqlState(
      asWorker(ORG_A)((c) =>
        c.query(`insert into app_public.job_events (job_id, next_status) values ($1, 'queued')`, [
          jobB,
        ]),
      ),
    );
    assert.equal(fk, '23503');
  });

  it('columns outside the grant cannot be written', async () => {
    // The worker moves a job along; what the job is stays as its creator asked.
    for (const sql of [
      `update app_public.jobs set priority = 100 where id = $1`,
      `update app_public.jobs set max_attempts = 25 where id = $1`,
      `update app_public.jobs set requested_by = 'mallory' where id = $1`,
      `update app_public.jobs set org_id = '${ORG_B}' where id = $1`,
    ]) {
      assert.equal(
        await sqlState(asWorker(ORG_A)((c) => c.query(sql, [jobA]))),
        INSUFFICIENT_PRIVILEGE,
        sql,
      );
    }
  });

  for (const role of ['heimdex_member', 'heimdex_admin'] as const) {
    it(`${role} can neither update nor delete events, nor delete jobs`, async () => {
      for (const sql of [
        `update app_public.job_events set detail = '{"x":1}'`,
        'delete from app_public.job_events',
        'delete from app_public.audit_events',
        'delete from app_public.jobs',
      ]) {
        assert.equal(
          await sqlState(asUser(role, ORG_A)((c) => c.query(sql))),
          INSUFFICIENT_PRIVILEGE,
          sql,
        );
      }
    });
  }

  it('events stay append-only even for the owner of the tables', async () => {
    const c = new pg.Client({ connectionString: db.urls.admin });
    await c.connect();
    try {
      assert.equal(
        await sqlState(c.query(`update app_public.job_events set detail = '{}'`)),
        'HX403',
      );
      assert.equal(
        await sqlState(c.query(`update app_public.audit_events set detail = '{}'`)),
        'HX403',
      );
    } finally {
      await c.end();
    }
  });
});

it('events cannot be truncated, not even by the owner of the tables', async () => {
  // As heimdex_owner, the role migrate runs as and the tables' owner; each
  // attempt in a transaction that is rolled back, whatever happens.
  const c = new pg.Client({ connectionString: db.urls.migration });
  await c.connect();
  try {
    for (const sql of [
      'truncate app_public.job_events',
      'truncate app_public.audit_events',
      'truncate app_public.jobs cascade',
    ]) {
      await c.query('begin');
      try {
        assert.equal(await sqlState(c.query(sql)), 'HX403', sql);
      } finally {
        await c.query('rollback');
      }
    }
  } finally {
    await c.end();
  }
});

describe('the worker role', () => {
  it("sees and moves only the claimed org's jobs", async () => {
    await asWorker(ORG_A)(async (c) => {
      const seen = await c.query('select id from app_public.jobs');
      assert.deepEqual(
        seen.rows.map((r) => r.id),
        [jobA],
      );
      const mine = await c.query(`update app_public.jobs set status = 'running' where id = $1`, [
        jobA,
      ]);
      assert.equal(mine.rowCount, 1);
      const theirs = await c.query(`update app_public.jobs set status = 'running' where id = $1`, [
        jobB,
      ]);
      assert.equal(theirs.rowCount, 0);
      const code = await sqlState(
        c.query(
          `insert into app_public.job_events (job_id, org_id, next_status) values ($1, $2, 'running')`,
          [jobB, ORG_B],
        ),
      );
      assert.equal(code, INSUFFICIENT_PRIVILEGE);
    });
  });

  it('without an org claim sees nothing', async () => {
    await asWorker(null)(async (c) => {
      const { rows } = await c.query('select count(*)::int as n from app_public.jobs');
      assert.equal(rows[0].n, 0);
    });
  });
});

describe('the status machine', () => {
  it('refuses a transition the status does not allow', async () => {
    const code = await sqlState(
      asWorker(ORG_A)((c) =>
        c.query(`update app_public.jobs set status = 'succeeded' where id = $1`, [jobA]),
      ),
    );
    assert.equal(code, 'HX409');
  });

  it('sets finished_at exactly when a job reaches a terminal status', async () => {
    await asUser(
      'heimdex_member',
      ORG_A,
    )(async (c) => {
      const { rows } = await c.query(
        `select (r.job).finished_at from app_private.cancel_job($1) as r`,
        [jobA],
      );
      assert.ok(rows[0].finished_at instanceof Date);
    });
  });

  it('the check constraint holds finished_at to terminal statuses', async () => {
    const c = new pg.Client({ connectionString: db.urls.admin });
    await c.connect();
    try {
      await c.query('begin');
      assert.equal(
        await sqlState(
          c.query(
            `insert into app_public.jobs (org_id, type, status, requested_by) values ($1, 'mock_process', 'succeeded', 'x')`,
            [ORG_A],
          ),
        ),
        '23514',
      );
      await c.query('rollback');
      assert.equal(
        await sqlState(
          c.query(`update app_public.jobs set finished_at = now() where id = $1`, [jobA]),
        ),
        '23514',
      );
    } finally {
      await c.end();
    }
  });
});

const QUEUE_JOB = `select t.identifier as task_identifier, j.payload
  from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
  where j.key = $1`;

describe('the queue follows the ledger', () => {
  it('a created job is enqueued in the same transaction, keyed by its id', async () => {
    const c = new pg.Client({ connectionString: db.urls.admin });
    const outside = new pg.Client({ connectionString: db.urls.admin });
    await c.connect();
    await outside.connect();
    try {
      await c.query('begin');
      await c.query(
        `select set_config('role', 'heimdex_member', true), set_config('jwt.claims.org_id', $1, true),
                set_config('jwt.claims.sub', 'alice', true), set_config('jwt.claims.role', 'member', true)`,
        [ORG_A],
      );
      const { rows } = await c.query<{ id: string }>(
        `select (r.job).id from app_private.create_job('mock_process', null, null, null, null, 10, 3) as r`,
      );
      const id = rows[0]!.id;
      await c.query("select set_config('role', session_user, true)");
      const inside = await c.query(QUEUE_JOB, [id]);
      assert.deepEqual(inside.rows[0]?.payload, { jobId: id, orgId: ORG_A });
      const before = await outside.query('select 1 from graphile_worker.jobs where key = $1', [id]);
      assert.equal(before.rowCount, 0, 'uncommitted queue job is invisible to others');
      await c.query('rollback');
      const afterRollback = await outside.query(
        'select 1 from graphile_worker.jobs where key = $1',
        [id],
      );
      assert.equal(afterRollback.rowCount, 0, 'a rolled-back job leaves no queue job');
    } finally {
      await c.end();
      await outside.end();
    }
  });

  it('retrying a failed job puts it back on the queue', async () => {
    const c = new pg.Client({ connectionString: db.urls.admin });
    await c.connect();
    try {
      await c.query('begin');
      await c.query('delete from graphile_worker._private_jobs where key = $1', [jobA]);
      await c.query(`update app_public.jobs set status = 'running' where id = $1`, [jobA]);
      await c.query(`update app_public.jobs set status = 'failed' where id = $1`, [jobA]);
      assert.equal((await c.query(QUEUE_JOB, [jobA])).rowCount, 0);
      await c.query(`update app_public.jobs set status = 'queued' where id = $1`, [jobA]);
      assert.deepEqual((await c.query(QUEUE_JOB, [jobA])).rows[0]?.payload, {
        jobId: jobA,
        orgId: ORG_A,
      });
      await c.query('rollback');
    } finally {
      await c.end();
    }
  });

  it('canceling a queued job removes its queue job and cannot be undone', async () => {
    const c = new pg.Client({ connectionString: db.urls.admin });
    await c.connect();
    try {
      await c.query('begin');
      const queued = await c.query(QUEUE_JOB, [jobB]);
      assert.equal(queued.rows[0].task_identifier, 'mock_process');
      assert.deepEqual(queued.rows[0].payload, { jobId: jobB, orgId: ORG_B });
      await c.query(`update app_public.jobs set status = 'canceled' where id = $1`, [jobB]);
      const gone = await c.query('select 1 from graphile_worker.jobs where key = $1', [jobB]);
      assert.equal(gone.rowCount, 0);
      assert.equal(
        await sqlState(
          c.query(`update app_public.jobs set status = 'queued' where id = $1`, [jobB]),
        ),
        'HX409',
      );
      await c.query('rollback');
    } finally {
      await c.end();
    }
  });
});
