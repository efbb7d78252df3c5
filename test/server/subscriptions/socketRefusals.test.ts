/**
 * What the WebSocket endpoint refuses, over real sockets: tokens (none, bad,
 * unsigned, without an org, expired, expiring while connected), browsers from
 * other origins, too many sockets or subscriptions, oversized messages,
 * documents over the abuse limits or of the wrong kind; and what it does on
 * its own: keep-alive pings, 1001 at shutdown.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../../support/testDatabase.js';
import { startTestApi, type TestApi } from '../../support/testApi.js';
import { signToken, tokenFor, unsignedToken } from '../../support/tokens.js';
import { GraphqlSocket, type NextPayload } from '../../support/graphqlSocket.js';

const ORG = randomUUID();
const ALLOWED_ORIGIN = 'https://app.example.com';
let db: TestDatabase;
let api: TestApi;
let secret: string;
let member: string;
const sockets: GraphqlSocket[] = [];

const JOB_UPDATED = 'subscription($id: UUID!) { jobUpdated(id: $id) { id status } }';

async function open(headers: Record<string, string> = {}): Promise<GraphqlSocket> {
  const socket = await GraphqlSocket.open(api.url, headers);
  sockets.push(socket);
  return socket;
}

async function connect(token: string): Promise<GraphqlSocket> {
  const socket = await GraphqlSocket.connect(api.url, token);
  sockets.push(socket);
  return socket;
}

/** Sends connection_init with this payload; resolves how the socket closed, or 'ack'. */
async function init(payload: unknown): Promise<number | 'ack'> {
  const socket = await open();
  socket.send({ type: 'connection_init', payload });
  const ack = await socket.waitFor((m) => m.type === 'connection_ack');
  return ack ? 'ack' : (await socket.closed).code;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const errorCodes = (socket: GraphqlSocket, id: string) =>
  (
    socket.messages.find((m) => m.id === id && m.type === 'error')?.payload as
      Array<{ extensions?: { code?: string } }> | undefined
  )?.map((e) => e.extensions?.code);

before(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db, {
    env: {
      WS_MAX_SUBSCRIPTIONS: '2',
      WS_MAX_SOCKETS_PER_USER: '2',
      WS_ALLOWED_ORIGINS: ALLOWED_ORIGIN,
      WS_MAX_MESSAGE_BYTES: '4096',
      WS_KEEPALIVE_MS: '1000',
      MAX_QUERY_NODES: '50',
    },
  });
  if (api.config.auth.provider !== 'dev') throw new Error('dev auth expected');
  secret = api.config.auth.secret;
  member = await tokenFor(secret, ORG, 'member', 'mia');
});
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => s.close()));
});
after(async () => {
  await api.stop();
  await db.drop();
});

describe('connection_init', () => {
  it('closes 4401 without a token, before anything else', async () => {
    assert.equal(await init(undefined), 4401);
    assert.equal(await init({}), 4401);
    assert.equal(await init({ authorization: '' }), 4401);
  });

  it('closes 4401 for a malformed, wrongly signed or unsigned token', async () => {
    assert.equal(await init({ authorization: 'Bearer not-a-jwt' }), 4401);
    assert.equal(await init({ authorization: member }), 4401, 'the Bearer scheme is required');
    const forged = await tokenFor('another-secret-of-at-least-32-bytes!!', ORG);
    assert.equal(await init(bearer(forged)), 4401);
    assert.equal(await init(bearer(unsignedToken({ sub: 'x', org_id: ORG, exp: 2e9 }))), 4401);
  });

  it('closes 4403 for a valid token without a usable org or role', async () => {
    assert.equal(await init(bearer(await signToken({ sub: 'x' }, { secret }))), 4403);
    const badRole = await signToken(
      { sub: 'x', app_metadata: { org_id: ORG, org_role: 'owner' } },
      { secret },
    );
    assert.equal(await init(bearer(badRole)), 4403);
  });

  it('closes 4401 for an expired token', async () => {
    const expired = await signToken(
      { sub: 'x', org_id: ORG },
      { secret, exp: Math.floor(Date.now() / 1000) - 60 },
    );
    assert.equal(await init(bearer(expired)), 4401);
  });

  it('accepts the authorization key in any case', async () => {
    assert.equal(await init({ Authorization: `Bearer ${member}` }), 'ack');
    assert.equal(await init({ AUTHORIZATION: `Bearer ${member}` }), 'ack');
  });

  it('refuses a subscribe before connection_init with 4401', async () => {
    const socket = await open();
    socket.subscribe('1', JOB_UPDATED, { id: randomUUID() });
    assert.equal((await socket.closed).code, 4401);
  });

  it('closes the socket 4401 when its token expires', async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const token = await signToken({ sub: 'short', org_id: ORG }, { secret, exp });
    const socket = await connect(token);
    socket.subscribe('1', JOB_UPDATED, { id: randomUUID() });
    const closed = await socket.closed;
    assert.equal(closed.code, 4401);
    assert.ok(Date.now() >= exp * 1000 - 50, 'not before exp');
    assert.ok(Date.now() < exp * 1000 + 2_000, 'at exp');
  });
});

describe('limits', () => {
  it('refuses browsers from an origin not on WS_ALLOWED_ORIGINS', async () => {
    await assert.rejects(open({ origin: 'https://evil.example.com' }), /upgrade refused: 403/);
    await open({ origin: ALLOWED_ORIGIN });
    await open();
  });

  it('answers only on /graphql', async () => {
    const socket = GraphqlSocket.open(api.url.replace(/$/, '/elsewhere'));
    await assert.rejects(socket, /upgrade refused: 404/);
  });

  it('closes a user’s socket beyond WS_MAX_SOCKETS_PER_USER with 1008; others are not affected', async () => {
    await connect(member);
    await connect(member);
    const third = await open();
    third.send({ type: 'connection_init', payload: bearer(member) });
    const closed = await third.closed;
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /WS_MAX_SOCKETS_PER_USER=2/);
    await connect(await tokenFor(secret, ORG, 'member', 'someone-else'));
  });

  it('frees a user’s socket slot when a socket closes', async () => {
    const first = await connect(member);
    await connect(member);
    await first.close();
    await connect(member);
  });

  it('refuses a subscription beyond WS_MAX_SUBSCRIPTIONS; the others keep running', async () => {
    const socket = await connect(member);
    const jobsUpdated = 'subscription { jobsUpdated { id } }';
    socket.subscribe('1', jobsUpdated);
    socket.subscribe('2', jobsUpdated);
    socket.subscribe('3', jobsUpdated);
    await socket.waitFor((m) => m.id === '3' && m.type === 'error');
    assert.deepEqual(errorCodes(socket, '3'), ['BAD_USER_INPUT']);
    assert.equal(socket.ws.readyState, socket.ws.OPEN);
    socket.send({ type: 'complete', id: '1' });
    socket.subscribe('4', JOB_UPDATED, { id: randomUUID() });
    const { nexts } = await socket.until('4');
    assert.deepEqual(nexts, [{ data: { jobUpdated: null } }]);
  });

  it('closes 1009 on a message over WS_MAX_MESSAGE_BYTES', async () => {
    const socket = await connect(member);
    socket.subscribe('1', `subscription { jobsUpdated { id } } # ${'x'.repeat(5000)}`);
    assert.equal((await socket.closed).code, 1009);
  });

  it('applies the document limits and validation of queries', async () => {
    const socket = await connect(member);
    const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: id`).join(' ');
    const refused: Array<[string, string, Record<string, unknown>?]> = [
      ['aliases', `subscription { jobsUpdated { ${aliases} } }`],
      ['invalid', 'subscription { jobsUpdated { nope } }'],
      ['syntax', 'subscription { jobsUpdated { id }'],
      ['variable', JOB_UPDATED, { id: 'not-a-uuid' }],
      // 2,001 one-byte tokens: under the message cap, over the token limit.
      ['tokens', `subscription ${'{'.repeat(2001)}`],
    ];
    // One at a time: each refusal frees its slot (WS_MAX_SUBSCRIPTIONS=2) when it is sent.
    for (const [id, query, variables] of refused) {
      socket.subscribe(id, query, variables);
      await socket.waitFor((m) => m.id === id && m.type === 'error');
      assert.deepEqual(errorCodes(socket, id), ['BAD_USER_INPUT'], id);
    }
    const tokens = JSON.stringify(socket.messages.find((m) => m.id === 'tokens')?.payload);
    assert.match(tokens, /more than 2,000 tokens/);
    assert.doesNotMatch(tokens, /Syntax Error/);
  });

  it('counts the nodes one update may return, with its variables, against MAX_QUERY_NODES', async () => {
    const socket = await connect(member);
    const events = 'subscription($n: Int) { jobsUpdated { events(first: $n) { nodes { id } } } }';
    socket.subscribe('small', events, { n: 10 });
    socket.subscribe('large', events, { n: 100 });
    const refused = await socket.waitFor((m) => m.id === 'large' && m.type === 'error');
    const [error] = refused?.payload as Array<{ extensions: Record<string, unknown> }>;
    assert.equal(error!.extensions['code'], 'BAD_USER_INPUT');
    assert.deepEqual(error!.extensions['cost'], { nodes: 101, limit: 50 });
    assert.equal(errorCodes(socket, 'small'), undefined, 'the smaller page is accepted');
  });

  it('runs only subscriptions; queries and mutations go over HTTP', async () => {
    const socket = await connect(member);
    socket.subscribe('1', '{ jobs { totalCount } }');
    const error = await socket.waitFor((m) => m.id === '1' && m.type === 'error');
    assert.match(JSON.stringify(error?.payload), /POST \/graphql/);
  });

  it('pings every WS_KEEPALIVE_MS (1 s here)', async () => {
    const socket = await connect(member);
    await once(socket.ws, 'ping');
  });
});

describe('rate budgets', () => {
  let own: TestApi;
  before(async () => {
    own = await startTestApi(db, {
      env: { RATE_LIMIT_USER_POINTS: '20', RATE_LIMIT_BAD_TOKENS: '2' },
    });
  });
  after(() => own.stop());

  it('spends a subscription’s node count from its user’s budget when it starts', async () => {
    const token = await tokenFor(secret, ORG, 'member', 'budgeted');
    const socket = await GraphqlSocket.connect(own.url, token);
    sockets.push(socket);
    const events = 'subscription { jobsUpdated { events(first: 10) { nodes { id } } } }';
    socket.subscribe('first', events);
    socket.subscribe('second', events);
    const refused = await socket.waitFor((m) => m.id === 'second' && m.type === 'error');
    const [error] = refused?.payload as Array<{
      message: string;
      extensions: Record<string, unknown>;
    }>;
    assert.deepEqual(error!.extensions, { code: 'RATE_LIMITED', points: 11 });
    assert.match(error!.message, /This request costs 11 points/);
    assert.equal(errorCodes(socket, 'first'), undefined, 'the first one fit the budget');
    assert.ok(own.logs.entries('rate_limited').length > 0);
  });

  it('counts failed connection_inits per address; once spent, only a token verified before passes', async () => {
    const known = await tokenFor(secret, ORG, 'member', 'known');
    sockets.push(await GraphqlSocket.connect(own.url, known));
    const attempt = async (authorization: string) => {
      const socket = await GraphqlSocket.open(own.url);
      sockets.push(socket);
      socket.send({ type: 'connection_init', payload: { authorization } });
      const ack = await socket.waitFor((m) => m.type === 'connection_ack');
      return ack ? 'ack' : (await socket.closed).code;
    };
    const forged = `Bearer ${await tokenFor('another-secret-of-at-least-32-bytes!!', ORG)}`;
    assert.equal(await attempt(forged), 4401);
    assert.equal(await attempt(forged), 4401);
    assert.equal(await attempt(forged), 1013, 'the address spent its bad tokens');
    const fresh = await tokenFor(secret, ORG, 'member', 'fresh');
    assert.equal(await attempt(`Bearer ${fresh}`), 1013, 'no signature check for new tokens');
    assert.equal(await attempt(`Bearer ${known}`), 'ack');
  });
});

describe('outside local and dev', () => {
  it('suggests no field names', async () => {
    const own = await startTestApi(db, { heimdexEnv: 'staging' });
    try {
      const socket = await GraphqlSocket.connect(own.url, member);
      socket.subscribe('1', 'subscription { jobsUpdated { statu } }');
      const error = await socket.waitFor((m) => m.id === '1' && m.type === 'error');
      assert.match(JSON.stringify(error?.payload), /Cannot query field/);
      assert.doesNotMatch(JSON.stringify(error?.payload), /Did you mean/);
      await socket.close();
    } finally {
      await own.stop();
    }
  });
});

describe('shutdown', () => {
  it('closes every socket with 1001 so clients reconnect elsewhere', async () => {
    const own = await startTestApi(db);
    try {
      const socket = await GraphqlSocket.connect(own.url, member);
      socket.subscribe('1', 'subscription { jobsUpdated { id } }');
      await own.stop();
      assert.equal((await socket.closed).code, 1001);
      assert.deepEqual(socket.nexts('1'), [] as NextPayload[]);
    } finally {
      await own.stop();
    }
  });
});
