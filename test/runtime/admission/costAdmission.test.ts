/**
 * Admission by cost (runtime/admission/costAdmission.ts), on its own: one
 * org's costly requests wait for one another while another org's light
 * ones go straight through; waiting orgs are served in turn; a request over
 * an org's share runs alone rather than waiting forever; a costly request
 * keeps its turn against a stream of cheap ones; nobody waits past the
 * timeout or after its client left; and what is released comes back once.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdmissionTimeoutError,
  CostAdmission,
  type CostAdmissionOptions,
  type ReleaseAdmission,
} from '../../../runtime/admission/costAdmission.js';
import { settled } from '../../support/settled.js';

function admission(options: Partial<CostAdmissionOptions> = {}): CostAdmission {
  return new CostAdmission({ maxCost: 100, maxCostPerOrg: 50, timeoutMs: 5_000, ...options });
}

describe('CostAdmission', () => {
  it("queues an org's costly requests behind its share while another org's light ones go through", async () => {
    const gate = admission();
    const running = [await gate.admit('a', 30), await gate.admit('a', 20)];
    const third = gate.admit('a', 30);
    const fourth = gate.admit('a', 1);
    assert.equal(await settled(third), false, "a's share (50) is taken");
    assert.equal(await settled(fourth), false, 'first come, first served within an org');
    const light = Array.from({ length: 10 }, () => gate.admit('b', 1));
    assert.ok((await Promise.all(light.map(settled))).every(Boolean), "b's light requests run");
    assert.deepEqual(gate.usage().get('a'), { running: 50, waiting: 2 });
    assert.deepEqual(gate.usage().get('b'), { running: 10, waiting: 0 });
    running[0]!();
    (await third)();
    (await fourth)();
    running[1]!();
    for (const release of await Promise.all(light)) release();
    assert.deepEqual([...gate.usage()], []);
  });

  it('serves waiting orgs in turn when the global budget is scarce', async () => {
    const gate = admission({ maxCost: 10, maxCostPerOrg: 10 });
    const holder = await gate.admit('x', 10);
    const served: string[] = [];
    const releases: ReleaseAdmission[] = [];
    // a asks three times before b and c ask once: first come, first served would give a, a, a, b, c.
    const callers = ['a1', 'a2', 'a3', 'b1', 'c1'].map((caller) =>
      gate.admit(caller[0]!, 10).then((release) => {
        served.push(caller);
        releases.push(release);
      }),
    );
    holder();
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(releases.length, 1, 'one at a time: each takes the whole budget');
      releases.pop()!();
    }
    await Promise.all(callers);
    assert.deepEqual(served, ['a1', 'b1', 'c1', 'a2', 'a3']);
    assert.deepEqual([...gate.usage()], []);
  });

  it("runs a request over its org's share alone in its org, instead of waiting forever", async () => {
    const gate = admission({ maxCost: 100, maxCostPerOrg: 50 });
    const other = await gate.admit('b', 40);
    // 1,000 > 50: it counts as the whole share, and runs while nothing else of a runs.
    const huge = await gate.admit('a', 1_000);
    assert.deepEqual(gate.usage().get('a'), { running: 50, waiting: 0 });
    const next = gate.admit('a', 1);
    assert.equal(await settled(next), false, 'a runs nothing beside it');
    assert.equal(await settled(gate.admit('b', 10)), true, 'b still fits beside it');
    huge();
    (await next)();
    other();
  });

  it('keeps the turn of a costly request that waits for the global budget: cheap ones from other orgs wait behind it', async () => {
    const gate = admission({ maxCost: 100, maxCostPerOrg: 60 });
    const b = await gate.admit('b', 60);
    const costly = gate.admit('a', 50);
    assert.equal(await settled(costly), false, '60 + 50 > 100');
    // A stream of cheap requests from c would fit (60 + 1 <= 100) but must not pass it forever.
    const cheap = gate.admit('c', 1);
    assert.equal(await settled(cheap), false, 'c waits behind a');
    b();
    const release = await costly;
    (await cheap)();
    release();
    assert.deepEqual([...gate.usage()], []);
  });

  it('refuses a request that waited past the timeout, and serves the next one', async () => {
    const gate = admission({ maxCost: 10, maxCostPerOrg: 10, timeoutMs: 100 });
    const holder = await gate.admit('a', 10);
    const error = await gate.admit('b', 5).catch((err: unknown) => err);
    assert.ok(error instanceof AdmissionTimeoutError, String(error));
    assert.equal(gate.usage().get('b'), undefined, 'the timed-out request left its queue');
    const next = gate.admit('c', 5);
    holder();
    (await next)();
    assert.deepEqual([...gate.usage()], []);
  });

  it('lets a request whose client left go, and the ones behind it move up', async () => {
    const gate = admission({ maxCost: 10, maxCostPerOrg: 10 });
    const holder = await gate.admit('a', 6);
    const left = new AbortController();
    const leaving = gate.admit('b', 10, left.signal);
    const behind = gate.admit('c', 4);
    assert.equal(await settled(behind), false, 'c waits behind b, which waits for the budget');
    left.abort(new Error('client gone'));
    await assert.rejects(leaving, /client gone/);
    (await behind)();
    const gone = new AbortController();
    gone.abort(new Error('already gone'));
    await assert.rejects(gate.admit('d', 1, gone.signal), /already gone/);
    holder();
    assert.deepEqual([...gate.usage()], []);
  });

  it('gives back what was admitted once, however often release is called', async () => {
    const gate = admission({ maxCost: 10, maxCostPerOrg: 10 });
    const first = await gate.admit('a', 10);
    first();
    const second = await gate.admit('a', 10);
    first();
    assert.deepEqual(gate.usage().get('a'), { running: 10, waiting: 0 });
    assert.equal(await settled(gate.admit('b', 1)), false, 'the second request still runs');
    second();
  });

  it('refuses everyone waiting and every later request once closed, and lets what runs finish', async () => {
    const gate = admission({ maxCost: 10, maxCostPerOrg: 10 });
    const running = await gate.admit('a', 10);
    const waiting = [gate.admit('a', 1), gate.admit('b', 1)];
    gate.close(new Error('closing'));
    for (const refused of waiting) await assert.rejects(refused, /closing/);
    await assert.rejects(gate.admit('c', 1), /closing/);
    assert.deepEqual(gate.usage().get('a'), { running: 10, waiting: 0 });
    running();
    assert.deepEqual([...gate.usage()], []);
  });

  it('counts a request of no cost as 1', async () => {
    const gate = admission({ maxCost: 2, maxCostPerOrg: 2 });
    const releases = [await gate.admit('a', 0), await gate.admit('a', 0)];
    assert.equal(await settled(gate.admit('a', 0)), false);
    for (const release of releases) release();
  });
});
