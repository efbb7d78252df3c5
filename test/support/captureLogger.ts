/** The project's logger writing into memory, so a test can read what was logged. */
import { createLogger, type Logger } from '../../runtime/logger.js';

export interface CapturedLogger {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
}

export function captureLogger(service: string): CapturedLogger {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger(
    { env: 'local', version: 'test', logLevel: 'info', service },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines };
}
