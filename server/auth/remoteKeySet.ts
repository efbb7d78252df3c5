/**
 * A JSON Web Key Set fetched from the identity provider and kept in memory.
 *
 * jose's createRemoteJWKSet blocks on a refetch once its cache is older than
 * `cacheMaxAge` and fails every request when that refetch fails, even for a
 * key it still holds; during an outage it also refetches on every unknown
 * `kid`. Here: keys are matched with jose's createLocalJWKSet; the set is
 * refreshed in the background; an unknown `kid` triggers at most one fetch
 * per cooldown (successful or not); and when the set cannot be fetched and no
 * cached key matches, verification fails as unavailable (503), not as a bad
 * token.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Logger } from '../logger.js';
import { AuthError } from './AuthError.js';

export interface RemoteKeySetOptions {
  url: string;
  /** Minimum time between two fetches triggered by unknown keys. */
  cooldownMs: number;
  /** Background refresh period, so keys the provider removed stop working. */
  refreshMs: number;
  timeoutMs: number;
  logger: Logger;
}

export class RemoteKeySet {
  #local: ReturnType<typeof createLocalJWKSet> | undefined;
  #lastAttempt = Number.NEGATIVE_INFINITY;
  #lastFailed = false;
  #pending: Promise<void> | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(private readonly options: RemoteKeySetOptions) {
    this.#timer = setInterval(() => {
      this.#refresh().catch(() => undefined);
    }, options.refreshMs);
    this.#timer.unref();
  }

  /** For jose's jwtVerify. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    if (!this.#local) {
      if (!this.#mayFetch()) throw new AuthError('key_set_unavailable', 'SERVICE_UNAVAILABLE');
      await this.#refresh();
    }
    try {
      return await this.#local!(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      if (this.#mayFetch()) {
        await this.#refresh();
        return this.#local!(header, token);
      }
      if (this.#lastFailed) {
        throw new AuthError('key_set_unavailable', 'SERVICE_UNAVAILABLE', { cause: err });
      }
      throw err;
    }
  };

  close(): void {
    clearInterval(this.#timer);
  }

  #mayFetch(): boolean {
    return Date.now() - this.#lastAttempt >= this.options.cooldownMs;
  }

  #refresh(): Promise<void> {
    this.#pending ??= this.#fetch().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #fetch(): Promise<void> {
    this.#lastAttempt = Date.now();
    try {
      const response = await fetch(this.options.url, {
        redirect: 'error',
        headers: { accept: 'application/jwk-set+json, application/json' },
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      if (response.status !== 200) throw new Error(`key set answered HTTP ${response.status}`);
      this.#local = createLocalJWKSet((await response.json()) as JSONWebKeySet);
      this.#lastFailed = false;
    } catch (err) {
      this.#lastFailed = true;
      this.options.logger.warn({ err, event: 'jwks_fetch_failed' }, 'key set could not be fetched');
      throw new AuthError('key_set_unavailable', 'SERVICE_UNAVAILABLE', { cause: err });
    }
  }
}
