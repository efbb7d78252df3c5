/**
 * The schema stays distributable by tenant (docs/scaling.md): sharded with
 * Citus on `org_id`, every tenant table must be able to check its keys on
 * one shard. So every table with an `org_id` column:
 * - has `org_id` in its primary key and in every unique constraint and index;
 * - has foreign keys that carry `org_id` to the referenced table's `org_id`;
 * - has no sequence-generated key whose order spans orgs: a sequence-backed
 *   column is bigint (what Citus generates on every node) and comes after
 *   `org_id` in every key, so its order is only ever read within one org.
 * Tables without `org_id` are the coordinator's (queue, heartbeats,
 * migrations) and are listed, so a new tenant table cannot slip past.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

/** The tenant tables: distributed on org_id, co-located (docs/scaling.md). */
const TENANT_TABLES = ['app_public.audit_events', 'app_public.job_events', 'app_public.jobs'];
/** Ours, without org_id: they stay on the coordinator. */
const COORDINATOR_TABLES = ['app_private.worker_heartbeats', 'heimdex_migrations.applied'];
const OUR_SCHEMAS = ['app_public', 'app_private', 'heimdex_migrations'];

let db: TestDatabase;
let client: pg.Client;

before(async () => {
  db = await createTestDatabase();
  client = new pg.Client({ connectionString: db.urls.admin });
  await client.connect();
});
after(async () => {
  await client.end();
  await db.drop();
});

interface Key {
  table: string;
  name: string;
  kind: 'primary key' | 'unique constraint' | 'unique index';
  columns: string[];
}

/** Primary keys, unique constraints and unique indexes (partial ones too) of tenant tables. */
async function keysOfTenantTables(): Promise<Key[]> {
  const { rows } = await client.query<Key>(
    `select i.indrelid::regclass::text as table,
            i.indexrelid::regclass::text as name,
            case when c.contype = 'p' then 'primary key'
                 when c.contype = 'u' then 'unique constraint'
                 else 'unique index' end as kind,
            array(select a.attname::text from unnest(i.indkey) with ordinality k(attnum, n)
                    join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
                   order by k.n) as columns
       from pg_index i
       left join pg_constraint c on c.conindid = i.indexrelid and c.contype in ('p', 'u')
      where i.indisunique and i.indrelid::regclass::text = any($1)
      order by 1, 2`,
    [TENANT_TABLES],
  );
  return rows;
}

describe('tenant tables, ready to distribute on org_id', () => {
  it('are exactly the tables of ours with an org_id column', async () => {
    const { rows } = await client.query<{ table: string; has_org: boolean }>(
      `select c.oid::regclass::text as table,
              exists (select 1 from pg_attribute a
                       where a.attrelid = c.oid and a.attname = 'org_id' and not a.attisdropped) as has_org
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = any($1) and c.relkind in ('r', 'p')
        order by 1`,
      [OUR_SCHEMAS],
    );
    assert.deepEqual(
      rows.filter((r) => r.has_org).map((r) => r.table),
      TENANT_TABLES,
    );
    assert.deepEqual(
      rows.filter((r) => !r.has_org).map((r) => r.table),
      COORDINATOR_TABLES,
    );
  });

  it('have org_id in the primary key and in every unique constraint and index', async () => {
    const keys = await keysOfTenantTables();
    for (const table of TENANT_TABLES) {
      assert.ok(
        keys.some((k) => k.table === table && k.kind === 'primary key'),
        `${table} has a primary key`,
      );
    }
    const without = keys.filter((k) => !k.columns.includes('org_id'));
    assert.deepEqual(
      without.map((k) => `${k.table}: ${k.kind} ${k.name} (${k.columns.join(', ')})`),
      [],
    );
  });

  it('have foreign keys that carry org_id to the referenced org_id', async () => {
    const { rows } = await client.query<{ name: string; pairs: string[] }>(
      `select c.conname as name,
              array(select a.attname || '->' || f.attname
                      from unnest(c.conkey, c.confkey) as k(mine, theirs)
                      join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.mine
                      join pg_attribute f on f.attrelid = c.confrelid and f.attnum = k.theirs) as pairs
         from pg_constraint c
        where c.contype = 'f' and (c.conrelid::regclass::text = any($1) or c.confrelid::regclass::text = any($1))`,
      [TENANT_TABLES],
    );
    assert.ok(rows.length > 0, 'job_events references its job');
    for (const fk of rows)
      assert.ok(fk.pairs.includes('org_id->org_id'), `${fk.name}: ${fk.pairs.join(', ')}`);
  });

  it('have no sequence-generated key ordered across orgs', async () => {
    const { rows } = await client.query<{ table: string; column: string; type: string }>(
      `select a.attrelid::regclass::text as table, a.attname as column, format_type(a.atttypid, a.atttypmod) as type
         from pg_attribute a
         left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where a.attrelid::regclass::text = any($1) and a.attnum > 0 and not a.attisdropped
          and (a.attidentity <> '' or pg_get_expr(d.adbin, d.adrelid) like 'nextval(%')`,
      [TENANT_TABLES],
    );
    const keys = await keysOfTenantTables();
    for (const seq of rows) {
      assert.equal(
        seq.type,
        'bigint',
        `${seq.table}.${seq.column}: Citus generates bigint sequences on every node`,
      );
      for (const key of keys.filter(
        (k) => k.table === seq.table && k.columns.includes(seq.column),
      )) {
        const org = key.columns.indexOf('org_id');
        assert.ok(
          org >= 0 && org < key.columns.indexOf(seq.column),
          `${key.name}: ${seq.column} comes after org_id, so its order is read within one org`,
        );
      }
    }
  });
});
