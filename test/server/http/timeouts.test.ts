/**
 * Slow clients (slow loris): a client that sends its headers, or its body, a
 * byte at a time is cut off once HTTP_HEADERS_TIMEOUT_MS or
 * HTTP_REQUEST_TIMEOUT_MS has passed, over a real TCP socket; an idle
 * keep-alive connection is closed after HTTP_KEEP_ALIVE_TIMEOUT_MS.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { createTestDatabase, type TestDatabase } from '../../support/testDatabase.js';
import { startTestApi, type TestApi } from '../../support/testApi.js';

let db: TestDatabase;
let api: TestApi;

before(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db, {
    env: {
      HTTP_HEADERS_TIMEOUT_MS: '1000',
      HTTP_REQUEST_TIMEOUT_MS: '2000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '500',
    },
  });
});
after(async () => {
  await api.stop();
  await db.drop();
});

interface Trickle {
  /** Resolves with what the server sent and when (ms after connecting) it closed. */
  closed: Promise<{ afterMs: number; received: string }>;
  stop(): void;
}

/** Connects, sends `head` at once, then one byte of `drip` every `everyMs` until closed. */
function trickle(head: string, drip: string, everyMs: number): Trickle {
  const { port } = new URL(api.url);
  const socket: Socket = connect(Number(port), '127.0.0.1');
  const started = Date.now();
  let received = '';
  let i = 0;
  socket.on('data', (chunk) => (received += chunk.toString()));
  socket.on('error', () => undefined);
  socket.write(head);
  const timer = setInterval(() => {
    if (drip && !socket.destroyed) socket.write(drip[i++ % drip.length]!);
  }, everyMs);
  const closed = new Promise<{ afterMs: number; received: string }>((resolve) =>
    socket.once('close', () => {
      clearInterval(timer);
      resolve({ afterMs: Date.now() - started, received });
    }),
  );
  return {
    closed,
    stop: () => {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still open after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

it('cuts off a client that sends its headers a byte at a time (slow loris)', async () => {
  const client = trickle('POST /graphql HTTP/1.1\r\nHost: heimdex\r\n', 'X-Slow: abcdefgh', 100);
  try {
    const { afterMs, received } = await within(client.closed, 6_000, 'the slow-headers socket');
    assert.ok(afterMs >= 900, `closed after ${afterMs} ms, not before the headers timeout`);
    assert.match(received, /^HTTP\/1\.1 408/);
  } finally {
    client.stop();
  }
});

it('cuts off a client that sends its body a byte at a time', async () => {
  const head =
    'POST /graphql HTTP/1.1\r\nHost: heimdex\r\ncontent-type: application/json\r\n' +
    'content-length: 100000\r\n\r\n';
  const client = trickle(head, '{"query":"{ viewer { orgId } }"}', 100);
  try {
    const { afterMs, received } = await within(client.closed, 8_000, 'the slow-body socket');
    assert.ok(afterMs >= 1_900, `closed after ${afterMs} ms, not before the request timeout`);
    assert.doesNotMatch(received, /^HTTP\/1\.1 200/);
  } finally {
    client.stop();
  }
});

it('closes an idle keep-alive connection after HTTP_KEEP_ALIVE_TIMEOUT_MS', async () => {
  const client = trickle('GET /healthz HTTP/1.1\r\nHost: heimdex\r\n\r\n', '', 100);
  try {
    const { afterMs, received } = await within(client.closed, 4_000, 'the idle connection');
    assert.match(received, /^HTTP\/1\.1 200/);
    assert.ok(afterMs >= 400, `closed after ${afterMs} ms`);
  } finally {
    client.stop();
  }
});

it('configures the timeouts it was given, not Node defaults', () => {
  const { server } = api.api;
  assert.deepEqual(
    [server.headersTimeout, server.requestTimeout, server.keepAliveTimeout],
    [1_000, 2_000, 500],
  );
});
