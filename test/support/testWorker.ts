/**
 * Workers for tests, configured through the real config loader: in this
 * process (`startTestWorker`), or as a real `node dist/worker/main.js` child
 * process (`spawnWorker`), which is what `npm start` runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { loadConfig } from '../../runtime/config.js';
import { childEnv } from '../../runtime/process/childProcess.js';
import { projectRoot } from '../../runtime/paths.js';
import { directRoleUrl } from '../../runtime/db/roleUrls.js';
import { startWorker, type RunningWorker } from '../../worker/startWorker.js';
import { captureLogger } from './captureLogger.js';
import { localEnv } from './localEnv.js';

/** Fast settings for tests; each test overrides what it is about. */
const TEST_ENV = {
  ...localEnv(),
  JOB_STAGE_DURATION_MS: '0',
  WORKER_POLL_INTERVAL_MS: '50',
  WORKER_HEARTBEAT_MS: '100',
  WORKER_STALE_AFTER_MS: '1000',
};

export type TestWorker = RunningWorker & { lines: Array<Record<string, unknown>> };

export async function startTestWorker(
  workerUrl: string,
  env: Record<string, string> = {},
): Promise<TestWorker> {
  const config = loadConfig({ ...TEST_ENV, ...env });
  const { logger, lines } = captureLogger('heimdex-worker-test');
  const worker = await startWorker({
    connectionString: workerUrl,
    directConnectionString: directRoleUrl(config.database, 'worker', workerUrl),
    config,
    logger,
  });
  return { ...worker, lines };
}

export interface WorkerProcess {
  child: ChildProcess;
  /** stdout, one parsed JSON log line each. */
  lines: Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `node dist/worker/main.js` with DATABASE_URL set to the admin URL, as `npm start` runs it. */
export function spawnWorker(adminUrl: string, env: Record<string, string> = {}): WorkerProcess {
  const child = spawn(process.execPath, [path.join(projectRoot, 'dist/worker/main.js')], {
    env: childEnv({ ...TEST_ENV, LOG_LEVEL: 'info', DATABASE_URL: adminUrl, ...env }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Array<Record<string, unknown>> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      lines.push({ msg: line });
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, lines, exited };
}

/** Whether some log line has this message (and, optionally, these fields). */
export function logged(
  lines: Array<Record<string, unknown>>,
  msg: string | RegExp,
  fields: Record<string, unknown> = {},
): boolean {
  return lines.some(
    (l) =>
      (typeof msg === 'string' ? l.msg === msg : msg.test(String(l.msg))) &&
      Object.entries(fields).every(([k, v]) => l[k] === v),
  );
}
