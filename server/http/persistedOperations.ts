/**
 * Persisted operations, with PERSISTED_OPERATIONS_FILE set: the API loads a
 * manifest as `npm run codegen` writes it (`{"sha256:<hex>": "<document>"}`,
 * examples/generated/persisted-documents.json) and answers Apollo's
 * persisted-query protocol from it, so a client may send
 * `extensions.persistedQuery.sha256Hash` instead of `query`. The store is
 * read-only: a request that sends both is checked (Apollo verifies the hash)
 * and runs, but is never added. With PERSISTED_OPERATIONS_ONLY the manifest
 * is also an allow-list: a request must send one of its documents, as text
 * (the exact text, whose SHA-256 is its key) or by hash; anything else is
 * refused before it is parsed or run.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { PersistedQueryOptions } from '@apollo/server';
import { ConfigError } from '../../runtime/config.js';

type Store = NonNullable<PersistedQueryOptions['cache']>;

export interface PersistedOperations {
  /** Apollo's persisted-query cache: answers known hashes, learns nothing. */
  store: Store;
  /** Whether a parsed request body sends a document of the manifest, as text or by hash. */
  allows(body: unknown): boolean;
}

/** Apollo prefixes the keys it asks a persisted-query cache for. */
const APOLLO_KEY = /^apq:([0-9a-f]{64})$/;
const MANIFEST_KEY = /^sha256:([0-9a-f]{64})$/;

function refuse(file: string, why: string): never {
  throw new ConfigError(`Invalid configuration:\n  PERSISTED_OPERATIONS_FILE: ${file} ${why}`);
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Reads and checks the manifest: every key must be the SHA-256 of its document. */
export async function loadPersistedOperations(file: string): Promise<PersistedOperations> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    refuse(file, `cannot be read as JSON (${(err as Error).message})`);
  }
  if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest)) {
    refuse(file, 'is not a hash -> document object');
  }
  const byHash = new Map<string, string>();
  for (const [key, document] of Object.entries(manifest)) {
    const hash = MANIFEST_KEY.exec(key)?.[1];
    const actual = typeof document === 'string' ? sha256(document) : '';
    if (!hash || hash !== actual) refuse(file, `maps ${key} to a document of another hash`);
    byHash.set(hash, document as string);
  }
  return {
    store: {
      get: async (key) => {
        const hash = APOLLO_KEY.exec(key)?.[1];
        return hash === undefined ? undefined : byHash.get(hash);
      },
      set: async () => {},
      delete: async () => false,
    },
    allows(body) {
      if (body === null || typeof body !== 'object') return false;
      const { query, extensions } = body as { query?: unknown; extensions?: unknown };
      // A text is judged by its own hash, whatever hash is sent with it.
      if (query !== undefined) return typeof query === 'string' && byHash.has(sha256(query));
      const hash = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)
        ?.persistedQuery?.sha256Hash;
      return typeof hash === 'string' && byHash.has(hash);
    },
  };
}
