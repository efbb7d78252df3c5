/**
 * `npm test`'s runner (test/run.ts) on an embedded PostgreSQL, interrupted
 * while a test runs, as Ctrl-C or a CI timeout would: it exits 128 + signal
 * and leaves no PostgreSQL running and no data folder behind (the server runs
 * in a process group of its own, so nothing else would stop it).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { promisify } from 'node:util';
import { spawnScript } from './support/processes.js';
import { waitFor } from './support/waitFor.js';

const exec = promisify(execFile);

interface ProcessInfo {
  pid: number;
  args: string;
}

async function childrenOf(pid: number): Promise<ProcessInfo[]> {
  // -ww: whole command lines (piped, ps cuts them at 80 columns); it exits 1 when there are none
  const { stdout } = await exec('ps', ['-ww', '-o', 'pid=,args=', '--ppid', String(pid)]).catch(
    () => ({
      stdout: '',
    }),
  );
  return stdout
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), args: m[2]! }));
}

const running = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  it(`on ${signal} mid-test: exits 128 + signal, its embedded PostgreSQL stopped and removed`, async () => {
    const runner = spawnScript('dist/test/run.js', ['dist/test/fixtures/waitsToBeInterrupted.js'], {
      // as from a terminal: its own embedded server, not this run's, and
      // not a child of this test runner (which would change how it runs files)
      TEST_DATABASE_URL: undefined,
      HEIMDEX_TEST_TEMPLATE: undefined,
      NODE_TEST_CONTEXT: undefined,
    });
    try {
      await runner.waitFor(/# PostgreSQL .*\(embedded\)/, 60_000);
      const postmaster = await waitFor(
        'the fixture test to be running',
        async () => {
          const children = await childrenOf(runner.child.pid!);
          const server = children.find((c) => / -D \S*heimdex-scratch-pg-/.test(c.args));
          const tests = children.find((c) => c.args.includes('--test'));
          if (!server || !tests) return undefined;
          const files = await childrenOf(tests.pid);
          return files.some((c) => c.args.includes('waitsToBeInterrupted')) && server;
        },
        { timeoutMs: 60_000 },
      );
      const dataDir = / -D (\S+)/.exec(postmaster.args)![1]!;
      assert.ok(existsSync(dataDir));

      runner.child.kill(signal);
      assert.equal(await runner.exited, 128 + constants.signals[signal], runner.output());
      assert.equal(running(postmaster.pid), false, 'PostgreSQL was stopped');
      assert.equal(existsSync(dataDir), false, 'its data folder was removed');
    } finally {
      // After a failure: still let the runner clean up, then make sure it is gone.
      if (runner.child.exitCode === null) {
        runner.child.kill('SIGTERM');
        await Promise.race([runner.exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
        runner.child.kill('SIGKILL');
      }
    }
  });
}
