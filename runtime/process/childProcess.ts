/**
 * Child processes of ours: the environment they inherit, and running a child
 * service and stopping it (SIGTERM, then SIGKILL after a bound).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../paths.js';
import type { Logger } from '../logger.js';

/** A process of ours to run as a child. */
export interface ChildService {
  name: string;
  /** Compiled entry point, relative to the project root. */
  script: string;
}

/** The environment for a child process of ours: this one's, with overrides. */
export function childEnv(overrides: Record<string, string>): NodeJS.ProcessEnv {
  // Passed through, not read: settings are still read only by runtime/config.ts.
  return { ...process.env, ...overrides };
}

export interface RunningChild {
  service: ChildService;
  pid: number;
  /** Settles when the child exits, with its exit code (signal: 1). */
  exited: Promise<number>;
  stop(timeoutMs: number): Promise<void>;
}

export function startChild(
  service: ChildService,
  env: NodeJS.ProcessEnv,
  logger: Logger,
): RunningChild {
  const child: ChildProcess = spawn(process.execPath, [path.join(projectRoot, service.script)], {
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => {
      logger.info({ child: service.name, code, signal }, 'service exited');
      resolve(code ?? 1);
    });
  });
  return {
    service,
    pid: child.pid ?? 0,
    exited,
    async stop(timeoutMs) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(killer);
    },
  };
}
