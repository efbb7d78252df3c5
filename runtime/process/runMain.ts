/**
 * Runs a process entry point: one shutdown path for SIGINT/SIGTERM, a clear
 * message (not a stack) for configuration errors and a too-old Node.js, exit 0
 * after a clean stop.
 */
import { ConfigError } from '../config.js';
import { assertSupportedNode } from '../nodeVersion.js';

type Cleanup = () => Promise<void>;

export async function runMain(
  name: string,
  main: (ctx: {
    onShutdown(fn: Cleanup): void;
    shutdown: Promise<NodeJS.Signals>;
  }) => Promise<void>,
): Promise<void> {
  const cleanups: Cleanup[] = [];
  let stopping = false;
  const shutdown = new Promise<NodeJS.Signals>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => resolve(signal));
    }
  });
  const runCleanups = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        process.stderr.write(`${name}: cleanup failed: ${(err as Error).message}\n`);
      }
    }
  };
  void shutdown.then(async () => {
    await runCleanups();
    process.exit(0);
  });
  try {
    assertSupportedNode();
    await main({ onShutdown: (fn) => cleanups.push(fn), shutdown });
  } catch (err) {
    await runCleanups();
    if (err instanceof ConfigError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    process.stderr.write(`${name}: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  }
}
