/**
 * A Prometheus histogram for observations made on every request. prom-client's
 * Histogram hashes the label object into a string key and looks its bucket up
 * by the bound's text on each `observe`; on the API's hot path that was most
 * of what metrics cost (docs/benchmarks.md, "Observability overhead"). Here a
 * caller binds a label set once (`series`) and keeps it: an observation is a
 * search through the bounds and three additions. It registers in a prom-client
 * Registry as a metric of its own and scrapes as the same text prom-client's
 * Histogram would give (test/runtime/metrics/boundHistogram.test.ts).
 */
import type { Metric, Registry } from 'prom-client';

export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const { bounds } = this;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

interface ExportedValue {
  metricName: string;
  labels: Record<string, string | number>;
  /** prom-client prints these after `labels` (the series' own labels). */
  sharedLabels: Readonly<Record<string, string>>;
  value: number;
}

export class BoundHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #series = new Map<string, HistogramSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    private readonly buckets: readonly number[],
    registers: Registry[],
  ) {
    for (const registry of registers) registry.registerMetric(this as unknown as Metric);
  }

  /** The series of one label set: callers keep it (finding it again builds a key). */
  series(labels: Record<L, string>): HistogramSeries {
    const key = this.labelNames.map((name) => labels[name]).join('\u0000');
    let series = this.#series.get(key);
    if (!series) {
      const own: Record<string, string> = {};
      for (const name of this.labelNames) own[name] = labels[name];
      series = new HistogramSeries(own, this.buckets);
      this.#series.set(key, series);
    }
    return series;
  }

  /** What Registry.metrics() prints: cumulative buckets, +Inf, sum and count per series. */
  get(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    aggregator: 'sum';
    values: ExportedValue[];
  }> {
    const values: ExportedValue[] = [];
    for (const series of this.#series.values()) {
      if (series.count === 0) continue;
      const shared = series.labels;
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += series.counts[i]!;
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { le },
          sharedLabels: shared,
          value: cumulative,
        });
      });
      values.push(
        {
          metricName: `${this.name}_bucket`,
          labels: { le: '+Inf' },
          sharedLabels: shared,
          value: series.count,
        },
        { metricName: `${this.name}_sum`, labels: {}, sharedLabels: shared, value: series.sum },
        { metricName: `${this.name}_count`, labels: {}, sharedLabels: shared, value: series.count },
      );
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    });
  }

  reset(): void {
    for (const series of this.#series.values()) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}
