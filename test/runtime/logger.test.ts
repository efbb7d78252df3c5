import { it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../runtime/logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger(
    { env: 'local', version: '9.9.9', logLevel: 'info', service: 'heimdex-test' },
    stream,
  );
  return { logger, events: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

it('writes one JSON event per line with service, env and version', () => {
  const { logger, events } = capture();
  logger.child({ requestId: 'r-1' }).info({ orgId: 'o-1' }, 'hello');
  const [event] = events();
  assert.equal(event?.msg, 'hello');
  assert.equal(event?.service, 'heimdex-test');
  assert.equal(event?.env, 'local');
  assert.equal(event?.version, '9.9.9');
  assert.equal(event?.requestId, 'r-1');
  assert.equal(event?.level, 'info');
});

it('redacts authorization headers, tokens, passwords and jose error payloads', () => {
  const { logger, events } = capture();
  logger.info({ req: { headers: { authorization: 'Bearer eyJhbGciOi.secret.sig' } } }, 'request');
  logger.info({ token: 'eyJ.secret-token', db: { password: 'hunter2' } }, 'values');
  const joseError = Object.assign(new Error('"exp" claim timestamp check failed'), {
    code: 'ERR_JWT_EXPIRED',
    payload: { sub: 'user-1', email: 'someone@example.com' },
  });
  logger.warn({ err: joseError }, 'auth_failed');
  const text = JSON.stringify(events());
  for (const leaked of ['eyJhbGciOi', 'secret-token', 'hunter2', 'someone@example.com']) {
    assert.doesNotMatch(text, new RegExp(leaked));
  }
  assert.match(text, /ERR_JWT_EXPIRED/, 'the error itself is still logged');
});
