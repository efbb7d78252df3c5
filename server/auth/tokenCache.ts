/**
 * Verified tokens, keyed by the SHA-256 of the token (the token itself is
 * never stored), each entry expiring with its token, and after at most
 * `maxEntryLifeMs` in any case, so a verification is repeated at least once a
 * minute against the current keys. Bounded: the least recently used entry goes
 * first. Only successful verifications are cached, so a flood of bad tokens
 * cannot evict good ones. `clear()` forgets everything (the key set changed).
 */
import { createHash } from 'node:crypto';
import type { RequestClaims } from './claims.js';

interface Entry {
  claims: RequestClaims;
  expiresAtMs: number;
}

export class TokenCache {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries: number,
    private readonly maxEntryLifeMs = 60_000,
  ) {}

  static keyOf(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  get(key: string, now = Date.now()): RequestClaims | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAtMs <= now) return undefined;
    this.#entries.set(key, entry);
    return entry.claims;
  }

  set(key: string, claims: RequestClaims, tokenEndsAtMs: number, now = Date.now()): void {
    if (this.maxEntries <= 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, {
      claims,
      expiresAtMs: Math.min(tokenEndsAtMs, now + this.maxEntryLifeMs),
    });
    if (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
