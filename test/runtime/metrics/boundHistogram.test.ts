/**
 * The API's bound histogram scrapes as prom-client's own Histogram does:
 * the same observations, one into each, give the same text (buckets
 * cumulative, a value on a bound counted in that bound's bucket, above the
 * last in +Inf only, sum and count per label set), and after a reset.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, Registry } from 'prom-client';
import { BoundHistogram } from '../../../runtime/metrics/boundHistogram.js';

const BUCKETS = [0.001, 0.005, 0.01, 0.5, 1];
const OBSERVED: Array<[string, string, number]> = [
  ['query', 'OK', 0.0004],
  ['query', 'OK', 0.005],
  ['mutation', 'OK', 0.2],
  ['query', 'FORBIDDEN', 3],
  ['query', 'OK', 0.001],
  ['query', 'OK', 0.0051],
  ['mutation', 'OK', 1],
  ['query', 'FORBIDDEN', 0],
];

function both() {
  const theirs = new Registry();
  const ours = new Registry();
  const options = { name: 'x_seconds', help: 'how long' };
  const reference = new Histogram({
    ...options,
    labelNames: ['operation_type', 'outcome'],
    buckets: BUCKETS,
    registers: [theirs],
  });
  const bound = new BoundHistogram(
    options.name,
    options.help,
    ['operation_type', 'outcome'],
    BUCKETS,
    [ours],
  );
  return { theirs, ours, reference, bound };
}

describe('BoundHistogram', () => {
  it("scrapes as prom-client's Histogram for the same observations", async () => {
    const { theirs, ours, reference, bound } = both();
    for (const [type, outcome, value] of OBSERVED) {
      reference.observe({ operation_type: type, outcome }, value);
      bound.series({ operation_type: type, outcome }).observe(value);
    }
    const text = await ours.metrics();
    assert.equal(text, await theirs.metrics());
    assert.match(text, /x_seconds_bucket\{le="0.005",operation_type="query",outcome="OK"\} 3\n/);
    assert.match(text, /x_seconds_count\{operation_type="query",outcome="FORBIDDEN"\} 2\n/);
  });

  it('keeps one series per label set, and empties them on reset', async () => {
    const { theirs, ours, reference, bound } = both();
    const series = bound.series({ operation_type: 'query', outcome: 'OK' });
    assert.equal(bound.series({ operation_type: 'query', outcome: 'OK' }), series);
    assert.notEqual(bound.series({ operation_type: 'query', outcome: 'NO' }), series);
    series.observe(0.002);
    reference.observe({ operation_type: 'query', outcome: 'OK' }, 0.002);
    ours.resetMetrics();
    theirs.resetMetrics();
    assert.equal(await ours.metrics(), await theirs.metrics());
    series.observe(0.7);
    reference.observe({ operation_type: 'query', outcome: 'OK' }, 0.7);
    assert.equal(await ours.metrics(), await theirs.metrics());
  });
});
