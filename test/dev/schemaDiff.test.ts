/**
 * The breaking-change check on schema.graphql (dev/schemaChanges.ts,
 * `npm run schema:diff`): graphql-inspector's verdict on fixture pairs, and
 * the command itself in a real git repository, failing on an unacknowledged
 * breaking change and passing once a commit acknowledges it.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  acknowledgedBreakingChange,
  judgeSchemaChanges,
  schemaChanges,
} from '../../dev/schemaChanges.js';
import { projectRoot } from '../../runtime/paths.js';
import { spawnScript } from '../support/processes.js';

const fixture = (name: string) =>
  path.join(projectRoot, 'test/fixtures/schemaDiff', `${name}.graphql`);
const sdl = (name: string) => readFileSync(fixture(name), 'utf8');
const paths = (changes: { path?: string }[]) => changes.map((c) => c.path).sort();

describe('schema changes (graphql-inspector)', () => {
  it('finds removed fields and narrowed arguments breaking', async () => {
    const changes = await schemaChanges(sdl('before'), sdl('breaking'));
    assert.deepEqual(paths(changes.breaking), ['Job.result', 'Query.jobs.first']);
    // A nullable result made non-null is safe for clients.
    assert.deepEqual(paths(changes.safe), ['Job.progress']);
    const verdict = judgeSchemaChanges(changes, undefined);
    assert.equal(verdict.ok, false);
    assert.match(verdict.lines.join('\n'), /\[breaking\] Job\.result: Field 'result' was removed/);
    assert.match(verdict.lines.join('\n'), /Schema-Breaking-Change: <why/);
  });

  it('prints dangerous changes (a new enum value, a defaulted argument) and lets them pass', async () => {
    const changes = await schemaChanges(sdl('before'), sdl('dangerous'));
    assert.deepEqual(changes.breaking, []);
    assert.deepEqual(paths(changes.dangerous), ['JobStatus.CANCELED', 'Query.jobs.status']);
    const verdict = judgeSchemaChanges(changes, undefined);
    assert.equal(verdict.ok, true);
    assert.match(verdict.lines.join('\n'), /^\[dangerous\] JobStatus\.CANCELED: /m);
  });

  it('lets additions and deprecations pass', async () => {
    const changes = await schemaChanges(sdl('before'), sdl('safe'));
    assert.deepEqual(changes.breaking, []);
    assert.deepEqual(changes.dangerous, []);
    assert.ok(changes.safe.length >= 3, JSON.stringify(paths(changes.safe)));
    assert.equal(judgeSchemaChanges(changes, undefined).ok, true);
  });

  it('takes the acknowledgement only from a trailer line with a reason', () => {
    assert.equal(acknowledgedBreakingChange(['fix: tidy\n\nsome text']), undefined);
    assert.equal(acknowledgedBreakingChange(['x\n\nSchema-Breaking-Change:\n']), undefined);
    assert.equal(
      acknowledgedBreakingChange([
        'a',
        'drop result\n\nSchema-Breaking-Change: result moved to output\n',
      ]),
      'result moved to output',
    );
  });
});

describe('npm run schema:diff', () => {
  let repo: string;
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
      cwd: repo,
      stdio: 'pipe',
    });
  const commitSchema = (name: string, message: string) => {
    copyFileSync(fixture(name), path.join(repo, 'schema.graphql'));
    git('add', 'schema.graphql');
    git('commit', '-q', '-m', message);
  };
  const run = async (...args: string[]) => {
    const done = spawnScript('dist/dev/bin/schemaDiff.js', ['--dir', repo, ...args], {});
    return { code: await done.exited, output: done.output() };
  };

  before(() => {
    repo = mkdtempSync(path.join(tmpdir(), 'heimdex-schema-diff-'));
    git('init', '-q', '-b', 'main');
    commitSchema('before', 'the schema clients have');
  });
  after(() => rmSync(repo, { recursive: true, force: true }));

  it('fails on a breaking change against the previous commit, naming it', async () => {
    commitSchema('breaking', 'drop Job.result');
    const { code, output } = await run();
    assert.equal(code, 1, output);
    assert.match(output, /\[breaking\] Job\.result/);
    assert.match(output, /2 breaking change\(s\)/);
  });

  it('passes the same change once a commit acknowledges it', async () => {
    git('reset', '-q', '--hard', 'HEAD^');
    commitSchema(
      'breaking',
      'drop Job.result\n\nSchema-Breaking-Change: result was never filled; use job events',
    );
    const { code, output } = await run();
    assert.equal(code, 0, output);
    assert.match(output, /acknowledged: result was never filled/);
  });

  it('compares a branch with where it left main, across several commits', async () => {
    git('reset', '-q', '--hard', 'HEAD^');
    git('checkout', '-q', '-b', 'feature');
    commitSchema('safe', 'add output');
    commitSchema('breaking', 'then remove things');
    const failing = await run();
    assert.equal(failing.code, 1, failing.output);
    // Against main (where the branch left it): output added and gone again, result removed.
    assert.match(failing.output, /\[breaking\] Job\.result/);
    assert.doesNotMatch(failing.output, /Job\.output/);
    const explicit = await run('--base', 'HEAD^');
    assert.equal(explicit.code, 1, explicit.output);
    assert.match(explicit.output, /\[breaking\] Job\.output/);
    git('checkout', '-q', 'main');
  });
});
