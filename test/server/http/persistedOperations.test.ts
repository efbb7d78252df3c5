/**
 * Persisted operations: with PERSISTED_OPERATIONS_FILE naming the codegen
 * manifest, a client may send a known hash instead of the document (Apollo's
 * persisted-query protocol); the store is read-only and checked at start-up.
 * Without it, the protocol is refused and documents are sent as text. With
 * PERSISTED_OPERATIONS_ONLY as well, the manifest is an allow-list.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../runtime/config.js';
import { projectRoot } from '../../../runtime/paths.js';
import { createClient } from '../../../examples/client.js';
import { JobsDocument, ViewerDocument } from '../../../examples/generated/graphql.js';
import { createTestDatabase, type TestDatabase } from '../../support/testDatabase.js';
import { adminQuery } from '../../support/adminSql.js';
import { startTestApi, type TestApi } from '../../support/testApi.js';
import { tokenFor } from '../../support/tokens.js';

const MANIFEST = path.join(projectRoot, 'examples/generated/persisted-documents.json');
const hexOf = (document: unknown): string =>
  (document as { __meta__: { hash: string } }).__meta__.hash.replace('sha256:', '');

let db: TestDatabase;
let persisted: TestApi;
let plain: TestApi;
let allowListed: TestApi;
let token: string;
let memberToken: string;
const orgId = randomUUID();

before(async () => {
  db = await createTestDatabase();
  persisted = await startTestApi(db, { env: { PERSISTED_OPERATIONS_FILE: MANIFEST } });
  plain = await startTestApi(db);
  allowListed = await startTestApi(db, {
    env: { PERSISTED_OPERATIONS_FILE: MANIFEST, PERSISTED_OPERATIONS_ONLY: 'true' },
  });
  if (persisted.config.auth.provider !== 'dev') throw new Error('dev auth expected');
  token = await tokenFor(persisted.config.auth.secret, orgId, 'viewer', 'sam');
  memberToken = await tokenFor(persisted.config.auth.secret, orgId, 'member', 'mo');
});
after(async () => {
  await persisted?.stop();
  await plain?.stop();
  await allowListed?.stop();
  await db.drop();
});

/** `bearer` empty: no authorization header. */
async function post(api: TestApi, body: unknown, bearer = token) {
  const request = api.http().post('/graphql').set('content-type', 'application/json');
  if (bearer) request.set('authorization', `Bearer ${bearer}`);
  const response = await request.send(JSON.stringify(body));
  return { status: response.status, body: response.body as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const byHash = (hex: string, variables?: unknown) => ({
  extensions: { persistedQuery: { version: 1, sha256Hash: hex } },
  variables,
});

describe('with PERSISTED_OPERATIONS_FILE', () => {
  it('runs a known hash without the document, with its variables', async () => {
    const viewer = await post(persisted, byHash(hexOf(ViewerDocument)));
    assert.deepEqual(viewer.body, { data: { viewer: { userId: 'sam', orgId, role: 'VIEWER' } } });
    const jobs = await post(persisted, byHash(hexOf(JobsDocument), { first: 1 }));
    assert.equal(jobs.status, 200);
    assert.equal(jobs.body.data.jobs.totalCount, 0);
  });

  it('says PersistedQueryNotFound for an unknown hash, and learns nothing from a document sent with it', async () => {
    const query = '{ viewer { role } }';
    const hex = createHash('sha256').update(query).digest('hex');
    assert.equal(
      (await post(persisted, byHash(hex))).body.errors[0].message,
      'PersistedQueryNotFound',
    );
    const sent = await post(persisted, { query, ...byHash(hex) });
    assert.deepEqual(sent.body, { data: { viewer: { role: 'VIEWER' } } });
    const again = await post(persisted, byHash(hex));
    assert.equal(again.body.errors[0].message, 'PersistedQueryNotFound', 'the store is read-only');
  });

  it('refuses a document sent with a hash that is not its own', async () => {
    const sent = await post(persisted, {
      query: '{ viewer { role } }',
      ...byHash(hexOf(ViewerDocument)),
    });
    assert.equal(sent.status, 400);
    assert.equal(sent.body.data, undefined);
  });

  it('still accepts other documents as text (without PERSISTED_OPERATIONS_ONLY)', async () => {
    const sent = await post(persisted, { query: '{ viewer { userId } }' });
    assert.deepEqual(sent.body, { data: { viewer: { userId: 'sam' } } });
  });

  it('serves the example client sending hashes', async () => {
    const client = createClient({
      url: `${persisted.url}/graphql`,
      token,
      persistedOperations: true,
    });
    assert.deepEqual(await client.request(ViewerDocument), {
      viewer: { userId: 'sam', orgId, role: 'VIEWER' },
    });
  });
});

describe('without it', () => {
  it('refuses the protocol, and the example client falls back to the document text', async () => {
    const refused = await post(plain, byHash(hexOf(ViewerDocument)));
    assert.equal(refused.body.errors[0].message, 'PersistedQueryNotSupported');
    const client = createClient({ url: `${plain.url}/graphql`, token, persistedOperations: true });
    const { viewer } = await client.request(ViewerDocument);
    assert.equal(viewer.role, 'VIEWER');
  });
});

describe('with PERSISTED_OPERATIONS_ONLY as well', () => {
  const REFUSED = {
    status: 400,
    body: {
      errors: [
        {
          message:
            'This server accepts only its persisted operations: send one of them, as its exact text or by its hash.',
          extensions: { code: 'BAD_USER_INPUT' },
        },
      ],
    },
  };
  const manifestText = async (document: unknown): Promise<string> => {
    const manifest = JSON.parse(await readFile(MANIFEST, 'utf8')) as Record<string, string>;
    return manifest[`sha256:${hexOf(document)}`]!;
  };

  it('runs the documents of the manifest, by hash or as their exact text', async () => {
    const byHashed = await post(allowListed, byHash(hexOf(ViewerDocument)));
    assert.deepEqual(byHashed.body, { data: { viewer: { userId: 'sam', orgId, role: 'VIEWER' } } });
    const asText = await post(allowListed, {
      query: await manifestText(JobsDocument),
      variables: { first: 1 },
    });
    assert.equal(asText.status, 200);
    assert.equal(asText.body.data.jobs.totalCount, 0);
  });

  it('refuses any other document before running it, even next to a known hash', async () => {
    const create = { query: 'mutation { createJob(input: { type: MOCK_PROCESS }) { created } }' };
    assert.deepEqual({ ...(await post(allowListed, create, memberToken)), status: 400 }, REFUSED);
    assert.deepEqual(
      await adminQuery(db, 'select 1 from app_public.jobs where org_id = $1', [orgId]),
      [],
      'nothing ran',
    );
    for (const body of [
      { query: '{ viewer { role } }' },
      { query: '{ viewer { role } }', ...byHash(hexOf(ViewerDocument)) },
      { query: `${await manifestText(ViewerDocument)} ` },
      byHash(createHash('sha256').update('{ viewer { role } }').digest('hex')),
      { variables: {} },
      'query { viewer { role } }',
    ]) {
      assert.deepEqual(await post(allowListed, body), REFUSED, JSON.stringify(body));
    }
  });

  it('still asks for a token first', async () => {
    const { status, body } = await post(allowListed, { query: '{ viewer { role } }' }, '');
    assert.equal(status, 401);
    assert.equal(body.errors[0].extensions.code, 'UNAUTHENTICATED');
  });

  it('is refused at start-up without a manifest to allow', async () => {
    await assert.rejects(
      startTestApi(db, { env: { PERSISTED_OPERATIONS_ONLY: 'true' } }),
      (err: unknown) =>
        err instanceof ConfigError && /PERSISTED_OPERATIONS_ONLY: needs/.test(err.message),
    );
  });
});

describe('the manifest', () => {
  it('is refused at start-up when a hash does not match its document', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'heimdex-manifest-'));
    try {
      const file = path.join(dir, 'persisted-documents.json');
      await writeFile(
        file,
        JSON.stringify({ [`sha256:${hexOf(ViewerDocument)}`]: '{ jobs { totalCount } }' }),
      );
      await assert.rejects(
        startTestApi(db, { env: { PERSISTED_OPERATIONS_FILE: file } }),
        (err: unknown) =>
          err instanceof ConfigError && /PERSISTED_OPERATIONS_FILE/.test(err.message),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
