/**
 * A request's logger, bound to its request id and, once known, the caller.
 * pino's child loggers cost a few microseconds each, so the child is made
 * only when the request actually logs something.
 */
import type { Logger } from '../../runtime/logger.js';

export class RequestLog {
  #bindings: Record<string, unknown>;
  #logger: Logger | undefined;

  constructor(
    private readonly base: Logger,
    readonly requestId: string,
  ) {
    this.#bindings = { requestId };
  }

  /** Adds bindings to every later line. */
  bind(bindings: Record<string, unknown>): void {
    this.#bindings = { ...this.#bindings, ...bindings };
    this.#logger = undefined;
  }

  get logger(): Logger {
    this.#logger ??= this.base.child(this.#bindings);
    return this.#logger;
  }

  enabled(level: 'debug' | 'info'): boolean {
    return this.base.isLevelEnabled(level);
  }
}
