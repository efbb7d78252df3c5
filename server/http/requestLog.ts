/**
 * A request's logger, bound to its request id and, once known, the caller.
 * pino's child loggers cost a few microseconds each, so the child is made
 * only when the request actually logs something.
 */
import type { Logger } from '../../runtime/logger.js';

/** Milliseconds to one decimal, as log lines carry them. */
export function roundMs(ms: number): number;
export function roundMs(ms: number | undefined): number | undefined;
export function roundMs(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.round(ms * 10) / 10;
}

/** What the request's one log line says of the GraphQL it ran (server/http/apiServer.ts). */
export interface RequestSummary {
  operationName?: string | undefined;
  operationType?: string | undefined;
  /** The cost: nodes the operation may return (schema/limits/queryCost.ts). */
  nodes?: number | undefined;
  /** Time the request waited for its turn in the cost admission (server/http/requestAdmission.ts). */
  admissionMs?: number | undefined;
  /** Time spent in the request's transaction, begin to commit. */
  dbMs?: number | undefined;
  /** With READ_DATABASE_URL: where the transaction ran. */
  servedBy?: 'primary' | 'replica' | undefined;
  /** How long the answer was held on purpose (an early 429); not counted as slow. */
  heldMs?: number | undefined;
}

export class RequestLog {
  #bindings: Record<string, unknown>;
  summary: RequestSummary = {};
  /** A GraphQL request (not a preflight, the IDE's page or an asset): counted in the metrics. */
  graphql = false;
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

  enabled(level: 'debug' | 'info' | 'warn'): boolean {
    return this.base.isLevelEnabled(level);
  }
}
