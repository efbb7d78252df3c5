/**
 * Members write the ledger only through app_private.create_job, cancel_job
 * and retry_job (sql/migrations/000019_member_write_functions.sql; create_job
 * takes the creating request's traceparent since 000020): security
 * definer functions that write the job, its event and its audit row under
 * the caller's claims. These tests try to make them write for another org,
 * for a caller who may not write, or run anything as the owner they run as.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { adminQuery, setJobStatus } from '../support/adminSql.js';
import { inRolledBackTransaction as tx, sqlState, type Claims } from '../support/sqlSession.js';

const ORG_A = randomUUID();
const ORG_B = randomUUID();
const INSUFFICIENT_PRIVILEGE = '42501';
const UNDEFINED_FUNCTION = '42883';
let db: TestDatabase;

/** createJob as the API calls it: quota 10, maxAttempts at most 25. */
const CREATE = `select r.created, to_jsonb(r.job) as job from app_private.create_job('mock_process', null, $1, null, null, 10, 25) as r`;
const CANCEL =
  'select r.previous_status, r.changed, to_jsonb(r.job) as job from app_private.cancel_job($1) as r';
const RETRY =
  'select r.previous_status, r.changed, to_jsonb(r.job) as job from app_private.retry_job($1, 10) as r';

type Role = 'heimdex_viewer' | 'heimdex_member' | 'heimdex_admin';

function as(role: Role, claims: Claims) {
  return <T>(fn: (c: pg.Client) => Promise<T>) => tx(db.urls.api, role, claims, fn);
}
const member = (orgId: string, sub = 'mia') => as('heimdex_member', { orgId, sub, role: 'member' });

/** A committed job of `orgId`, created through the function, its id. */
async function committedJob(orgId: string, key: string | null = null): Promise<string> {
  return tx(db.urls.api, 'heimdex_member', { orgId, sub: 'seed', role: 'member' }, async (c) => {
    const { rows } = await c.query(CREATE, [key]);
    await c.query('commit');
    return rows[0].job.id as string;
  });
}

/** Every row a write could leave, in every org. */
function everything(): Promise<unknown> {
  return adminQuery(
    db,
    `select (select json_agg(j order by id) from app_public.jobs j) as jobs,
            (select json_agg(e order by id) from app_public.job_events e) as events,
            (select json_agg(a order by id) from app_public.audit_events a) as audits`,
  );
}

before(async () => {
  db = await createTestDatabase();
});
after(() => db.drop());

describe('what the functions write', () => {
  for (const role of ['heimdex_member', 'heimdex_admin'] as const) {
    it(`${role}: a job in the claimed org, by the claimed subject, with its event and audit row`, async () => {
      const key = `own-${role}`;
      await as(role, { orgId: ORG_A, sub: 'alice', role: role.replace('heimdex_', '') })(
        async (c) => {
          const { rows } = await c.query(CREATE, [key]);
          assert.equal(rows[0].created, true);
          const job = rows[0].job;
          assert.deepEqual([job.org_id, job.requested_by, job.status], [ORG_A, 'alice', 'queued']);
          const events = await c.query(
            'select org_id, prev_status, next_status from app_public.job_events where job_id = $1',
            [job.id],
          );
          assert.deepEqual(events.rows, [
            { org_id: ORG_A, prev_status: null, next_status: 'queued' },
          ]);
          await c.query("select set_config('role', 'heimdex_admin', true)");
          const audits = await c.query(
            'select org_id, actor, action, target_id, detail from app_public.audit_events where target_id = $1',
            [job.id],
          );
          assert.deepEqual(audits.rows, [
            {
              org_id: ORG_A,
              actor: 'alice',
              action: 'job.create',
              target_id: job.id,
              detail: { type: 'mock_process', idempotencyKey: key },
            },
          ]);
          // the same key again: the same job, nothing written
          const again = await c.query(CREATE, [key]);
          assert.deepEqual([again.rows[0].created, again.rows[0].job.id], [false, job.id]);
          const count = await c.query(
            'select count(*)::int as n from app_public.audit_events where target_id = $1',
            [job.id],
          );
          assert.equal(count.rows[0].n, 1);
        },
      );
    });
  }

  it('a cancel and a retry write their event and audit row, and say what the status was', async () => {
    const id = await committedJob(ORG_A);
    await setJobStatus(db, id, ['running', 'failed'], { code: 'BOOM', message: 'it broke' });
    await member(
      ORG_A,
      'rob',
    )(async (c) => {
      const retried = await c.query(RETRY, [id]);
      assert.deepEqual(
        [
          retried.rows[0].previous_status,
          retried.rows[0].changed,
          retried.rows[0].job.status,
          retried.rows[0].job.attempt,
          retried.rows[0].job.last_error_code,
        ],
        ['failed', true, 'queued', 0, null],
      );
      const again = await c.query(RETRY, [id]);
      assert.deepEqual([again.rows[0].previous_status, again.rows[0].changed], ['queued', false]);
      const canceled = await c.query(CANCEL, [id]);
      assert.deepEqual([canceled.rows[0].changed, canceled.rows[0].job.status], [true, 'canceled']);
      const events = await c.query(
        'select prev_status, next_status, detail from app_public.job_events where job_id = $1 order by id',
        [id],
      );
      assert.deepEqual(events.rows.slice(-2), [
        {
          prev_status: 'failed',
          next_status: 'queued',
          detail: {
            retry: true,
            previousAttempt: 2,
            previousErrorCode: 'BOOM',
            previousErrorMessage: 'it broke',
          },
        },
        { prev_status: 'queued', next_status: 'canceled', detail: {} },
      ]);
      await c.query("select set_config('role', 'heimdex_admin', true)");
      const audits = await c.query(
        'select actor, action, detail from app_public.audit_events where target_id = $1 order by id',
        [id],
      );
      assert.deepEqual(audits.rows.slice(-2), [
        { actor: 'rob', action: 'job.retry', detail: { from: 'failed' } },
        { actor: 'rob', action: 'job.cancel', detail: { from: 'queued' } },
      ]);
    });
  });

  it('lowers maxAttempts, given or the default, to the maximum allowed', async () => {
    await member(ORG_A)(async (c) => {
      const attempts = async (given: number | null, allowed: number) =>
        (
          await c.query(
            `select (r.job).max_attempts from app_private.create_job('mock_process', null, null, null, $1, 10, $2) as r`,
            [given, allowed],
          )
        ).rows[0].max_attempts;
      assert.equal(await attempts(20, 5), 5);
      assert.equal(await attempts(2, 5), 2);
      assert.equal(await attempts(null, 25), 3, 'the default');
      assert.equal(await attempts(null, 2), 2, 'the default, lowered');
    });
  });

  it("keeps the creating request's traceparent, a well-formed W3C value or nothing (000020)", async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const created = `select (r.job).traceparent from app_private.create_job('mock_process', null, null, null, null, 10, 25, $1) as r`;
    await member(ORG_A)(async (c) => {
      assert.equal((await c.query(created, [traceparent])).rows[0].traceparent, traceparent);
      assert.equal((await c.query(created, [null])).rows[0].traceparent, null);
    });
    const before = await everything();
    for (const bad of [
      `${traceparent}-extra`,
      '01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      '00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01',
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'; select 1; --",
      'a secret the caller wants the worker to log',
    ]) {
      const code = await sqlState(member(ORG_A)((c) => c.query(created, [bad])));
      assert.equal(code, '23514', bad);
    }
    assert.deepEqual(await everything(), before, 'a refused traceparent writes nothing');
  });

  it("refuses a create or a retry over the org's quota with HX429, writing nothing", async () => {
    const org = randomUUID();
    const failed = await committedJob(org);
    await setJobStatus(db, failed, ['running', 'failed']);
    await committedJob(org);
    const before = await everything();
    for (const [sql, value] of [
      [`select from app_private.create_job('mock_process', null, null, null, null, 1, 25)`, null],
      ['select from app_private.retry_job($1, 1)', failed],
    ] as const) {
      const code = await sqlState(member(org)((c) => c.query(sql, value ? [value] : [])));
      assert.equal(code, 'HX429', sql);
    }
    assert.deepEqual(await everything(), before);
  });
});

describe('another org', () => {
  it('no argument names an org: the org is the claimed one, whatever is passed', async () => {
    const rows = await adminQuery(
      db,
      `select p.proname, p.proargnames from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = 'app_private' and p.proname in ('create_job', 'cancel_job', 'retry_job')
        order by 1`,
    );
    assert.equal(rows.length, 3);
    for (const r of rows) {
      const inputs = (r['proargnames'] as string[]).filter(
        (a) => a !== 'previous_status' && a !== 'changed' && a !== 'created' && a !== 'job',
      );
      assert.ok(
        !inputs.some((a) => /org/.test(a) && a !== 'max_active_per_org'),
        `${r['proname']}: ${inputs.join(', ')}`,
      );
    }
    const code = await sqlState(
      member(ORG_A)((c) =>
        c.query(`select app_private.create_job(job_type => 'mock_process', org_id => $1)`, [ORG_B]),
      ),
    );
    assert.equal(code, UNDEFINED_FUNCTION);
  });

  it("another org's job: cancel and retry find nothing and write nothing", async () => {
    const theirs = await committedJob(ORG_B);
    const failed = await committedJob(ORG_B);
    await setJobStatus(db, failed, ['running', 'failed']);
    const before = await everything();
    for (const [sql, id] of [
      [CANCEL, theirs],
      [RETRY, failed],
    ] as const) {
      const { rowCount } = await member(ORG_A)(async (c) => {
        const result = await c.query(sql, [id]);
        await c.query('commit');
        return result;
      });
      assert.equal(rowCount, 0, sql);
    }
    assert.deepEqual(await everything(), before);
  });

  it("another org's idempotency key makes a new job in the caller's org, never returns theirs", async () => {
    const key = `shared-${randomUUID()}`;
    const theirs = await committedJob(ORG_B, key);
    await member(ORG_A)(async (c) => {
      const { rows } = await c.query(CREATE, [key]);
      assert.equal(rows[0].created, true);
      assert.notEqual(rows[0].job.id, theirs);
      assert.equal(rows[0].job.org_id, ORG_A);
    });
  });
});

describe('callers who may not write', () => {
  it('a viewer cannot call them', async () => {
    const id = await committedJob(ORG_A);
    for (const [sql, value] of [
      [CREATE, null],
      [CANCEL, id],
      [RETRY, id],
    ] as const) {
      const code = await sqlState(
        as('heimdex_viewer', { orgId: ORG_A, sub: 'vic', role: 'viewer' })((c) =>
          c.query(sql, [value]),
        ),
      );
      assert.equal(code, INSUFFICIENT_PRIVILEGE, sql);
    }
  });

  it('neither can the authenticator by itself, nor the worker', async () => {
    for (const url of [db.urls.api, db.urls.worker]) {
      const code = await sqlState(
        tx(url, null, { orgId: ORG_A, sub: 'x', role: 'member' }, (c) => c.query(CREATE, [null])),
      );
      assert.equal(code, INSUFFICIENT_PRIVILEGE, url);
    }
  });

  it('claims without an org, a subject or a role that writes are refused with 42501, writing nothing', async () => {
    const id = await committedJob(ORG_A);
    const before = await everything();
    for (const claims of [
      {},
      { sub: 'mia', role: 'member' },
      { orgId: 'not-a-uuid', sub: 'mia', role: 'member' },
      { orgId: ORG_A, role: 'member' },
      { orgId: ORG_A, sub: 'mia' },
      { orgId: ORG_A, sub: 'mia', role: 'viewer' },
      { orgId: ORG_A, sub: 'mia', role: 'owner' },
    ] as Claims[]) {
      for (const [sql, value] of [
        [CREATE, null],
        [CANCEL, id],
        [RETRY, id],
      ] as const) {
        const code = await sqlState(as('heimdex_member', claims)((c) => c.query(sql, [value])));
        assert.equal(code, INSUFFICIENT_PRIVILEGE, `${sql} with ${JSON.stringify(claims)}`);
      }
    }
    assert.deepEqual(await everything(), before);
  });
});

/**
 * What a role with TEMP on the database (PUBLIC has it) can plant in its
 * session's temporary schema: types named after built-in ones, casts to them
 * that raise when they run as the owner, and tables named after ours. A
 * search_path that does not name pg_temp searches it first for types.
 */
const PLANT = [
  'create type pg_temp.text as (v pg_catalog.text)',
  'create type pg_temp.integer as (v pg_catalog.int4)',
  ...(
    [
      ['uuid', 'text'],
      ['app_public.job_type', 'text'],
      ['json', 'text'],
      ['pg_catalog.text', 'integer'],
    ] as const
  ).flatMap(([from, to], i) => [
    `create function pg_temp.planted_${i}(x ${from}) returns pg_temp.${to} language plpgsql as $$
     begin
       if current_user operator(pg_catalog.=) 'heimdex_owner' then
         raise exception 'hijacked: a planted cast ran as %', current_user;
       end if;
       return row(x::pg_catalog.${to === 'text' ? 'text' : 'int4'})::pg_temp.${to};
     end $$`,
    `create cast (${from} as pg_temp.${to}) with function pg_temp.planted_${i}(${from})`,
  ]),
  'create function pg_temp.back_0(x pg_temp.text) returns pg_catalog.text language sql as $$ select (x).v $$',
  'create cast (pg_temp.text as pg_catalog.text) with function pg_temp.back_0(pg_temp.text) as implicit',
  'create function pg_temp.back_1(x pg_temp.integer) returns pg_catalog.int4 language sql as $$ select (x).v $$',
  'create cast (pg_temp.integer as pg_catalog.int4) with function pg_temp.back_1(pg_temp.integer) as implicit',
  'create temp table jobs (id pg_catalog.uuid, org_id pg_catalog.uuid)',
  'create temp table job_events (id pg_catalog.uuid, org_id pg_catalog.uuid)',
  'create temp table audit_events (id pg_catalog.uuid, org_id pg_catalog.uuid)',
  'set local search_path = pg_temp, app_public, app_private, public',
];

async function plant(c: pg.Client): Promise<void> {
  for (const sql of PLANT) await c.query(sql);
}

describe('search_path', () => {
  it("a member's temporary types, casts and tables steer nothing and run nothing as the owner", async () => {
    const failed = await committedJob(ORG_A);
    await setJobStatus(db, failed, ['running', 'failed']);
    await member(ORG_A)(async (c) => {
      await plant(c);
      const created = await c.query(CREATE, [null]);
      const id = created.rows[0].job.id;
      assert.equal((await c.query(CANCEL, [id])).rows[0].changed, true);
      assert.equal((await c.query(RETRY, [failed])).rows[0].changed, true);
      const ours = await c.query(
        `select (select count(*) from app_public.jobs where id = any($1::pg_catalog.uuid[]))::pg_catalog.int4 as jobs,
                (select count(*) from app_public.job_events where job_id = any($1::pg_catalog.uuid[]))::pg_catalog.int4 as events,
                (select count(*) from pg_temp.jobs)::pg_catalog.int4 + (select count(*) from pg_temp.job_events)::pg_catalog.int4
                  + (select count(*) from pg_temp.audit_events)::pg_catalog.int4 as planted`,
        [[id, failed]],
      );
      assert.deepEqual(ours.rows[0], { jobs: 2, events: 4, planted: 0 });
    });
  });

  it("the worker's temporary types and casts run nothing as the owner either", async () => {
    // A retry the worker schedules (running -> queued) makes the queue
    // trigger, security definer, cast the job's id to text.
    const id = await committedJob(ORG_A);
    await tx(db.urls.worker, null, { orgId: ORG_A }, async (c) => {
      await plant(c);
      assert.equal(
        (await c.query('select app_private.worker_start_job($1, 1) as s', [id])).rows[0].s.outcome,
        'ok',
      );
      const failed = await c.query(
        `select app_private.worker_fail_job($1, 1, true, 'BOOM', 'again') as s`,
        [id],
      );
      assert.equal(failed.rows[0].s.outcome, 'ok');
      await c.query(`select app_private.worker_heartbeat('pool-planted', 'host', 1)`);
      await c.query('select app_private.worker_sweep(60000)');
    });
  });
});
