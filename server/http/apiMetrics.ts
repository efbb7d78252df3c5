/**
 * The API's Prometheus metrics (served on METRICS_PORT by
 * runtime/metrics/metricsServer.ts; names in docs/operations.md): requests by
 * operation and outcome, latency and time in the transaction, token
 * verifications (and so the cache's hit ratio), authentication failures by
 * reason, refusals by limit, the request pool, and Node's process metrics.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { BoundedLabel } from '../../runtime/metrics/boundedLabel.js';
import { BoundHistogram, type HistogramSeries } from '../../runtime/metrics/boundHistogram.js';

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

/** Requests counted since the last scrape, for one label set (added to the counter when scraped). */
interface PendingCount {
  readonly labels: Record<'operation_name' | 'operation_type' | 'outcome', string>;
  pending: number;
}

/** A request's series for one operation type and outcome, bound once. */
interface OutcomeSeries {
  duration: HistogramSeries;
  byName: Map<string, PendingCount>;
}

/**
 * Per request, nothing is hashed or allocated once its label set has been
 * seen: the histograms' series are bound (runtime/metrics/boundHistogram.ts)
 * and the counters count in plain numbers, added to prom-client's counters
 * when scraped (their `collect`). Label values are bounded: operation types,
 * outcome codes, and at most MAX_OPERATION_NAMES names.
 */
export class ApiMetrics {
  readonly registry = new Registry();
  readonly #names = new BoundedLabel(MAX_OPERATION_NAMES);
  readonly #duration: BoundHistogram<'operation_type' | 'outcome'>;
  readonly #dbDuration: BoundHistogram<'operation_type'>;
  readonly #byType = new Map<
    string,
    { db: HistogramSeries; outcomes: Map<string, OutcomeSeries> }
  >();
  readonly #pendingRequests: PendingCount[] = [];
  readonly #pendingVerifications: Record<TokenVerification, number> = { verified: 0, cached: 0 };
  readonly #authFailures: Counter<'reason'>;
  readonly #refusals: Counter<'limit'>;

  /** `pool`: the request pool's connections, and requests waiting for one, at scrape time. */
  constructor(pool: () => { total: number; idle: number; waiting: number }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const pendingRequests = this.#pendingRequests;
    new Counter({
      name: 'heimdex_api_requests_total',
      help: 'GraphQL requests by operation name (the first 200 names; then "other"), type and outcome code',
      labelNames: ['operation_name', 'operation_type', 'outcome'],
      registers,
      collect() {
        for (const count of pendingRequests) {
          if (count.pending === 0) continue;
          this.inc(count.labels, count.pending);
          count.pending = 0;
        }
      },
    });
    this.#duration = new BoundHistogram(
      'heimdex_api_request_duration_seconds',
      'GraphQL requests, arrival to the end of the answer',
      ['operation_type', 'outcome'],
      LATENCY_BUCKETS,
      registers,
    );
    this.#dbDuration = new BoundHistogram(
      'heimdex_api_transaction_duration_seconds',
      "Time in a request's transaction, begin to the end of commit or rollback",
      ['operation_type'],
      LATENCY_BUCKETS,
      registers,
    );
    const pendingVerifications = this.#pendingVerifications;
    new Counter({
      name: 'heimdex_api_token_verifications_total',
      help: 'Accepted tokens: verified (signature checked) or cached (verified earlier)',
      labelNames: ['result'],
      registers,
      collect() {
        for (const result of ['verified', 'cached'] as const) {
          if (pendingVerifications[result] === 0) continue;
          this.inc({ result }, pendingVerifications[result]);
          pendingVerifications[result] = 0;
        }
      },
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
    const { outcome } = observed;
    const name = observed.operationName ? this.#names.value(observed.operationName) : 'anonymous';
    let byType = this.#byType.get(type);
    if (!byType) {
      byType = { db: this.#dbDuration.series({ operation_type: type }), outcomes: new Map() };
      this.#byType.set(type, byType);
    }
    let series = byType.outcomes.get(outcome);
    if (!series) {
      const duration = this.#duration.series({ operation_type: type, outcome });
      series = { duration, byName: new Map() };
      byType.outcomes.set(outcome, series);
    }
    let count = series.byName.get(name);
    if (!count) {
      count = { labels: { operation_name: name, operation_type: type, outcome }, pending: 0 };
      series.byName.set(name, count);
      this.#pendingRequests.push(count);
    }
    count.pending++;
    series.duration.observe(observed.seconds);
    if (observed.dbSeconds !== undefined) byType.db.observe(observed.dbSeconds);
  }

  tokenVerified(result: TokenVerification): void {
    this.#pendingVerifications[result]++;
  }

  authFailure(reason: string): void {
    this.#authFailures.inc({ reason });
  }

  refused(limit: Refusal): void {
    this.#refusals.inc({ limit });
  }
}
