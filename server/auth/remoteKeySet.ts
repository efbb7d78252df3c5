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
 * token. A body over MAX_KEY_SET_BYTES is refused and the last good keys are
 * kept: a provider (or whoever answers in its name) cannot make us hold an
 * unbounded document. `onChange` runs when a fetched set differs from the
 * last one, so verified-token caches can forget what removed keys signed.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Logger } from '../../runtime/logger.js';
import { AuthError } from './AuthError.js';

export interface RemoteKeySetOptions {
  url: string;
  /** Minimum time between two fetches triggered by unknown keys. */
  cooldownMs: number;
  /** Background refresh period, so keys the provider removed stop working. */
  refreshMs: number;
  timeoutMs: number;
  logger: Logger;
  /** Called after a fetch that changed the keys. */
  onChange?: () => void;
}

/** Far above any real key set (a few keys of about 1 KB each). */
export const MAX_KEY_SET_BYTES = 64 * 1024;

class KeySetTooLarge extends Error {
  override readonly name = 'KeySetTooLarge';
}

/** The response body as text, refused (without reading the rest) past `limit` bytes. */
async function boundedText(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > limit) {
    await response.body?.cancel();
    throw new KeySetTooLarge(`key set of ${declared} bytes is over the ${limit}-byte limit`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  for (let read = await reader?.read(); read && !read.done; read = await reader!.read()) {
    size += read.value.byteLength;
    if (size > limit) {
      await reader!.cancel();
      throw new KeySetTooLarge(`key set is over the ${limit}-byte limit`);
    }
    chunks.push(read.value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export class RemoteKeySet {
  #local: ReturnType<typeof createLocalJWKSet> | undefined;
  /** The last good key set's body, to tell a change from a refresh. */
  #body: string | undefined;
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
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new Error(`key set answered HTTP ${response.status}`);
      }
      const body = await boundedText(response, MAX_KEY_SET_BYTES);
      const local = createLocalJWKSet(JSON.parse(body) as JSONWebKeySet);
      const changed = this.#body !== undefined && body !== this.#body;
      this.#local = local;
      this.#body = body;
      this.#lastFailed = false;
      if (changed) this.options.onChange?.();
    } catch (err) {
      this.#lastFailed = true;
      this.options.logger.warn({ err, event: 'jwks_fetch_failed' }, 'key set could not be fetched');
      throw new AuthError('key_set_unavailable', 'SERVICE_UNAVAILABLE', { cause: err });
    }
  }
}
