/**
 * What a test gives the config loader for local mode: HEIMDEX_ENV=local and a
 * dev secret of its own (nothing falls back to a built-in one any more).
 */
import { randomBytes } from 'node:crypto';

/** One secret per test process; tokens signed with it pass the test API's check. */
export const TEST_DEV_SECRET = randomBytes(32).toString('base64url');

export function localEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return { HEIMDEX_ENV: 'local', DEV_JWT_SECRET: TEST_DEV_SECRET, ...overrides };
}
