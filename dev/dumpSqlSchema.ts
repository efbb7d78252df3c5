/**
 * Our schemas (app_public, app_private) as `pg_dump --schema-only` prints
 * them after every migration: tables, policies, functions, triggers, grants
 * and comments in one file (sql/schema.sql), so a DBA reads one file instead
 * of replaying the migrations. Normalised to be stable: the lines that name
 * versions, session SETs and the per-dump \restrict keys are dropped, and a
 * policy's roles are put in name order.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { childEnv } from '../runtime/process/childProcess.js';

const run = promisify(execFile);

export const DUMPED_SCHEMAS = ['app_public', 'app_private'] as const;

const HEADER = `-- The schema after every migration (sql/migrations/), as pg_dump --schema-only
-- prints app_public and app_private. Generated: \`npm run sql-schema\` rewrites it,
-- and a test fails when it is stale. Read it; never apply it: migrations are
-- what deploys, and they never change once landed.
`;

/** The major version of the `pg_dump` on PATH; it dumps servers up to its own major. */
export async function pgDumpMajor(): Promise<number | undefined> {
  try {
    const { stdout } = await run('pg_dump', ['--version'], { env: childEnv({}) });
    const match = /\(PostgreSQL\) (\d+)/.exec(stdout);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Lines that differ between servers, pg_dump versions or runs, not between schemas. */
function isUnstable(line: string): boolean {
  return (
    /^-- Dumped (from database|by pg_dump) version/.test(line) ||
    /^\\(un)?restrict /.test(line) ||
    /^SET [a-z_]+ = /.test(line) ||
    line === "SELECT pg_catalog.set_config('search_path', '', false);"
  );
}

/**
 * A policy's roles in name order. pg_dump lists them as it finds them in
 * pg_roles, whose order is where each row sits in the shared pg_authid
 * catalog: any `alter role` anywhere in the cluster can move a row and swap
 * `TO heimdex_viewer, heimdex_owner` into `TO heimdex_owner, heimdex_viewer`.
 */
const POLICY_ROLES =
  /^(CREATE POLICY \S+ ON \S+(?: AS \w+)?(?: FOR \w+)? TO )(.+?)( USING \(| WITH CHECK \(|;$)/;

function sortPolicyRoles(line: string): string {
  return line.replace(
    POLICY_ROLES,
    (_all, head: string, roles: string, tail: string) =>
      `${head}${roles.split(', ').sort().join(', ')}${tail}`,
  );
}

export function normaliseDump(dump: string): string {
  const lines = dump
    .split('\n')
    .filter((line) => !isUnstable(line))
    .map(sortPolicyRoles);
  const text = lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return `${HEADER}\n${text}\n`;
}

export async function dumpSqlSchema(databaseUrl: string): Promise<string> {
  const { stdout } = await run(
    'pg_dump',
    ['--schema-only', ...DUMPED_SCHEMAS.map((s) => `--schema=${s}`), '--dbname', databaseUrl],
    { env: childEnv({}), maxBuffer: 64 * 1024 * 1024 },
  );
  return normaliseDump(stdout);
}
