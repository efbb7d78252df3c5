/**
 * The bearer token of a socket's `connection_init` payload,
 * `{ "authorization": "Bearer <jwt>" }`, the key in any case (clients copy
 * their HTTP header, `Authorization`). Checked like the HTTP header
 * (server/auth/bearerToken.ts): a missing or malformed value is an AuthError.
 */
import { AuthError } from '../auth/AuthError.js';
import { bearerToken } from '../auth/bearerToken.js';

export function connectionToken(params: Readonly<Record<string, unknown>> | undefined): string {
  const entries = Object.entries(params ?? {}).filter(
    ([key]) => key.toLowerCase() === 'authorization',
  );
  // Two spellings of the key, say `authorization` and `Authorization`: which one counts is ambiguous.
  if (entries.length > 1) throw new AuthError('malformed');
  const value = entries[0]?.[1];
  if (value !== undefined && typeof value !== 'string') throw new AuthError('malformed');
  return bearerToken(value);
}
