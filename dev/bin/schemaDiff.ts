/**
 * `npm run schema:diff [-- --base <rev>] [--dir <repository>]`: compares the working tree's
 * schema.graphql with the one at `base` (dev/schemaChanges.ts) and fails on a
 * breaking change that no commit since `base` acknowledges. The default base
 * is where this branch left origin/main (or main); on main itself, the commit
 * before HEAD, so each landing is checked against what clients had.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../../runtime/paths.js';
import { runMain } from '../../runtime/process/runMain.js';
import { acknowledgedBreakingChange, judgeSchemaChanges, schemaChanges } from '../schemaChanges.js';

const { values } = parseArgs({ options: { base: { type: 'string' }, dir: { type: 'string' } } });
const repository = values.dir ? path.resolve(values.dir) : projectRoot;

const git = (...args: string[]): string =>
  execFileSync('git', args, {
    cwd: repository,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
const tryGit = (...args: string[]): string | undefined => {
  try {
    return git(...args).trim();
  } catch {
    return undefined;
  }
};

function defaultBase(): string {
  const head = git('rev-parse', 'HEAD').trim();
  for (const ref of ['origin/main', 'main']) {
    const base = tryGit('merge-base', 'HEAD', ref);
    if (base && base !== head) return base;
  }
  const parent = tryGit('rev-parse', 'HEAD^');
  if (!parent) throw new Error('no base to compare with: pass --base <rev>');
  return parent;
}

await runMain('schema-diff', async () => {
  const base = values.base ?? defaultBase();
  const oldSdl = tryGit('show', `${base}:schema.graphql`);
  if (oldSdl === undefined) {
    process.stdout.write(`schema.graphql: not in ${base}, nothing to compare\n`);
    return;
  }
  const newSdl = await readFile(path.join(repository, 'schema.graphql'), 'utf8');
  const messages = git('log', '--format=%B%x00', `${base}..HEAD`).split('\0');
  const verdict = judgeSchemaChanges(
    await schemaChanges(oldSdl, newSdl),
    acknowledgedBreakingChange(messages),
  );
  process.stdout.write(`compared with ${base.slice(0, 12)}\n${verdict.lines.join('\n')}\n`);
  if (!verdict.ok) process.exitCode = 1;
});
