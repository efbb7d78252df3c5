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

export interface VerifiedToken {
  claims: RequestClaims;
  /** When the token stops being accepted (its `exp` or maximum age), ms since the epoch. */
  endsAtMs: number;
}

interface Entry extends VerifiedToken {
  evictAtMs: number;
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
    return this.lookup(key, now)?.claims;
  }

  lookup(key: string, now = Date.now()): VerifiedToken | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (entry.evictAtMs <= now) return undefined;
    this.#entries.set(key, entry);
    return { claims: entry.claims, endsAtMs: entry.endsAtMs };
  }

  set(key: string, claims: RequestClaims, tokenEndsAtMs: number, now = Date.now()): void {
    if (this.maxEntries <= 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, {
      claims,
      endsAtMs: tokenEndsAtMs,
      evictAtMs: Math.min(tokenEndsAtMs, now + this.maxEntryLifeMs),
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
