/**
 * The API's Prometheus metrics (served on METRICS_PORT by
 * runtime/metrics/metricsServer.ts; names in docs/operations.md): requests by
 * operation and outcome, latency and time in the transaction, token
 * verifications (and so the cache's hit ratio), authentication failures by
 * reason, refusals by limit, the request pool, and Node's process metrics.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BoundedLabel } from '../../runtime/metrics/boundedLabel.js';

/** Distinct operation names kept as labels; clients choose them. */
const MAX_OPERATION_NAMES = 200;
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type TokenVerification = 'verified' | 'cached';
export type Refusal = 'rate_limit' | 'cost' | 'bad_token_budget';

export interface RequestObservation {
  operationName: string | undefined;
  operationType: string | undefined;
  outcome: string;
  seconds: number;
  dbSeconds: number | undefined;
}

export class ApiMetrics {
  readonly registry = new Registry();
  readonly #names = new BoundedLabel(MAX_OPERATION_NAMES);
  readonly #requests: Counter<'operation_name' | 'operation_type' | 'outcome'>;
  readonly #duration: Histogram<'operation_type' | 'outcome'>;
  readonly #dbDuration: Histogram<'operation_type'>;
  readonly #verifications: Counter<'result'>;
  readonly #authFailures: Counter<'reason'>;
  readonly #refusals: Counter<'limit'>;

  /** `pool`: the request pool's connections, and requests waiting for one, at scrape time. */
  constructor(pool: () => { total: number; idle: number; waiting: number }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#requests = new Counter({
      name: 'heimdex_api_requests_total',
      help: 'GraphQL requests by operation name (the first 200 names; then "other"), type and outcome code',
      labelNames: ['operation_name', 'operation_type', 'outcome'],
      registers,
    });
    this.#duration = new Histogram({
      name: 'heimdex_api_request_duration_seconds',
      help: 'GraphQL requests, arrival to the end of the answer',
      labelNames: ['operation_type', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#dbDuration = new Histogram({
      name: 'heimdex_api_transaction_duration_seconds',
      help: "Time in a request's transaction, begin to the end of commit or rollback",
      labelNames: ['operation_type'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#verifications = new Counter({
      name: 'heimdex_api_token_verifications_total',
      help: 'Accepted tokens: verified (signature checked) or cached (verified earlier)',
      labelNames: ['result'],
      registers,
    });
    this.#authFailures = new Counter({
      name: 'heimdex_api_auth_failures_total',
      help: 'Refused credentials by reason (expired, bad_signature, unknown_role, ...)',
      labelNames: ['reason'],
      registers,
    });
    this.#refusals = new Counter({
      name: 'heimdex_api_refusals_total',
      help: 'Requests refused by a limit: rate_limit (org or user budget), cost (MAX_QUERY_NODES), bad_token_budget (failed verifications per address)',
      labelNames: ['limit'],
      registers,
    });
    new Gauge({
      name: 'heimdex_api_db_pool_connections',
      help: "The request pool's connections: total, idle, and requests waiting for one",
      labelNames: ['state'],
      registers,
      collect() {
        for (const [state, count] of Object.entries(pool())) this.set({ state }, count);
      },
    });
  }

  request(observed: RequestObservation): void {
    const type = observed.operationType ?? 'none';
    const name = observed.operationName ? this.#names.value(observed.operationName) : 'anonymous';
    this.#requests.inc({ operation_name: name, operation_type: type, outcome: observed.outcome });
    this.#duration.observe({ operation_type: type, outcome: observed.outcome }, observed.seconds);
    if (observed.dbSeconds !== undefined) {
      this.#dbDuration.observe({ operation_type: type }, observed.dbSeconds);
    }
  }

  tokenVerified(result: TokenVerification): void {
    this.#verifications.inc({ result });
  }

  authFailure(reason: string): void {
    this.#authFailures.inc({ reason });
  }

  refused(limit: Refusal): void {
    this.#refusals.inc({ limit });
  }
}
