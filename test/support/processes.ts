/** Runs a compiled entry point as its own process, as `npm start` or a platform would. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { childEnv } from '../../runtime/process/childProcess.js';
import { projectRoot } from '../../runtime/paths.js';

export interface Spawned {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (a signal counts as -1). */
  exited: Promise<number>;
  /** Resolves when the output matches, rejects after `timeoutMs` or on exit. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
}

/** `env` adds to this process's environment; a variable set to undefined is removed. */
export function spawnScript(
  script: string,
  args: string[],
  env: Record<string, string | undefined>,
): Spawned {
  const set = Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined);
  const childEnvironment = childEnv(Object.fromEntries(set));
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete childEnvironment[name];
  }
  const child = spawn(process.execPath, [path.join(projectRoot, script), ...args], {
    env: childEnvironment,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number>((resolve) =>
    child.once('exit', (code) => resolve(code ?? -1)),
  );
  return {
    child,
    output: () => output,
    exited,
    async waitFor(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(output);
        if (match) return match;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`${script}: ${pattern} not seen; output:\n${output}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}
