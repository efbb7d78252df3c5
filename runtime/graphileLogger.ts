/** graphile-worker's logger, adapted to write through our pino logger. */
import { Logger as GraphileLogger } from 'graphile-worker';
import type { Logger } from './logger.js';

export function graphileLogger(logger: Logger): GraphileLogger {
  return new GraphileLogger((scope) => {
    const child = logger.child({ graphile: scope });
    return (level, message, meta) => {
      const method = level === 'warning' ? 'warn' : level;
      child[method](meta ?? {}, message);
    };
  });
}
