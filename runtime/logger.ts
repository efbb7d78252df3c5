/**
 * The one root logger: JSON to stdout, one event per line, with secrets
 * redacted by path. Everything else takes a child of it.
 */
import { pino, type Logger, type DestinationStream } from 'pino';
import type { Config } from './config.js';

export type { Logger };

/** Paths whose values never reach a log line. jose errors carry claims in `payload`. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'token',
  'password',
  'secret',
  '*.token',
  '*.password',
  '*.secret',
  '*.authorization',
  'err.payload',
  '*.err.payload',
  'error.payload',
];

export function createLogger(
  config: Pick<Config, 'env' | 'version' | 'logLevel'> & { service: string },
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service: config.service, env: config.env, version: config.version },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
