/**
 * Persisted operations, with PERSISTED_OPERATIONS_FILE set: the API loads a
 * manifest as `npm run codegen` writes it (`{"sha256:<hex>": "<document>"}`,
 * examples/generated/persisted-documents.json) and answers Apollo's
 * persisted-query protocol from it, so a client may send
 * `extensions.persistedQuery.sha256Hash` instead of `query`. The store is
 * read-only: a request that sends both is checked (Apollo verifies the hash)
 * and runs, but is never added. It is no allow-list: other documents are
 * still accepted.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { PersistedQueryOptions } from '@apollo/server';
import { ConfigError } from '../config.js';

type Store = NonNullable<PersistedQueryOptions['cache']>;

/** Apollo prefixes the keys it asks a persisted-query cache for. */
const APOLLO_KEY = /^apq:([0-9a-f]{64})$/;
const MANIFEST_KEY = /^sha256:([0-9a-f]{64})$/;

function refuse(file: string, why: string): never {
  throw new ConfigError(`Invalid configuration:\n  PERSISTED_OPERATIONS_FILE: ${file} ${why}`);
}

/** Reads and checks the manifest: every key must be the SHA-256 of its document. */
export async function loadPersistedOperations(file: string): Promise<Store> {
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
    const actual =
      typeof document === 'string' ? createHash('sha256').update(document).digest('hex') : '';
    if (!hash || hash !== actual) refuse(file, `maps ${key} to a document of another hash`);
    byHash.set(hash, document as string);
  }
  return {
    get: async (key) => {
      const hash = APOLLO_KEY.exec(key)?.[1];
      return hash === undefined ? undefined : byHash.get(hash);
    },
    set: async () => {},
    delete: async () => false,
  };
}
