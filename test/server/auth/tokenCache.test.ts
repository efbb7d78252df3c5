/** The verified-token cache: keyed by hash, bounded, expiring with the token. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { TokenCache } from '../../../server/auth/tokenCache.js';

const claims = (sub: string) => ({
  sub,
  orgId: '00000000-0000-4000-8000-000000000000',
  role: 'member' as const,
});

it('keys entries by a hash, never by the token', () => {
  const key = TokenCache.keyOf('header.payload.signature');
  assert.equal(key.length, 43);
  assert.ok(!key.includes('signature'));
  assert.notEqual(TokenCache.keyOf('a.b.c'), TokenCache.keyOf('a.b.d'));
});

it('forgets an entry when its token expires', () => {
  const cache = new TokenCache(10);
  cache.set('k', claims('a'), 1_000);
  assert.deepEqual(cache.get('k', 999), claims('a'));
  assert.equal(cache.get('k', 1_000), undefined);
  assert.equal(cache.size, 0);
});

it('holds at most its bound, dropping the least recently used', () => {
  const cache = new TokenCache(2);
  cache.set('a', claims('a'), Infinity);
  cache.set('b', claims('b'), Infinity);
  cache.get('a');
  cache.set('c', claims('c'), Infinity);
  assert.equal(cache.size, 2);
  assert.equal(cache.get('b'), undefined);
  assert.ok(cache.get('a'));
  assert.ok(cache.get('c'));
});

it('caches nothing with a bound of 0', () => {
  const cache = new TokenCache(0);
  cache.set('a', claims('a'), Infinity);
  assert.equal(cache.get('a'), undefined);
});

it('keeps an entry at most a minute, however far away its token expires', () => {
  const cache = new TokenCache(10);
  const tenYears = 10 * 365 * 86_400_000;
  cache.set('k', claims('a'), tenYears, 0);
  assert.deepEqual(cache.get('k', 59_999), claims('a'));
  assert.equal(cache.get('k', 60_000), undefined);
});

it('forgets every entry when cleared (the key set changed)', () => {
  const cache = new TokenCache(10);
  cache.set('a', claims('a'), Infinity);
  cache.set('b', claims('b'), Infinity);
  cache.clear();
  assert.equal(cache.get('a'), undefined);
  assert.equal(cache.size, 0);
});
