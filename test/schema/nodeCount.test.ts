/**
 * The node count, on the committed public schema (no database): connections
 * multiply by their page (literal, variable, default), object fields count
 * one, fragments and aliases count, `@skip`/`@include` apply, and the
 * refusal says what was exceeded, with `extensions.cost`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, getOperationAST, parse, validate } from 'graphql';
import { projectRoot } from '../../runtime/paths.js';
import { QueryCost } from '../../schema/limits/queryCost.js';
import { MAX_PAGE_SIZE, NESTED_PAGE_SIZE } from '../../schema/postgraphile/pageSizePlugin.js';

const schema = buildSchema(readFileSync(path.join(projectRoot, 'schema.graphql'), 'utf8'));
const cost = new QueryCost(schema, 10_000);

function measure(query: string, variables?: Record<string, unknown>) {
  const document = parse(query);
  assert.deepEqual(validate(schema, document), [], 'the test document must be valid');
  const operation = getOperationAST(document)!;
  return cost.measure(document, operation, variables);
}

function nodes(query: string, variables?: Record<string, unknown>): number {
  const measured = measure(query, variables);
  if ('errors' in measured) throw new Error(measured.errors.map((e) => e.message).join('; '));
  return measured.cost.nodes;
}

describe('node count', () => {
  it('counts the ordinary list with its events as 2,100', () => {
    assert.equal(
      nodes('{ jobs(first: 100) { nodes { id events(first: 20) { nodes { nextStatus } } } } }'),
      2_100,
    );
  });

  it('uses the default page where first/last is omitted: the largest at the root, a small one below', () => {
    assert.equal(nodes('{ jobs { nodes { id } } }'), MAX_PAGE_SIZE);
    assert.equal(
      nodes('{ jobs { nodes { events { nodes { id } } } } }'),
      MAX_PAGE_SIZE * (1 + NESTED_PAGE_SIZE),
    );
    assert.equal(
      nodes('{ job(id: "00000000-0000-0000-0000-000000000000") { events { nodes { id } } } }'),
      1 + NESTED_PAGE_SIZE,
    );
  });

  it('counts every job a back-reference returns', () => {
    // 100 jobs * (1 + 20 events * (1 + 1 job + 20 events))
    assert.equal(
      nodes(
        '{ jobs { nodes { events { nodes { job { events { nodes { id ts detail } } } } } } } }',
      ),
      100 * (1 + 20 * (1 + 1 + 20)),
    );
  });

  it('reads first and last from variables, their defaults, and takes the smaller of both', () => {
    const query =
      'query ($n: Int, $m: Int = 7) { jobs(first: $n) { nodes { events(last: $m) { nodes { id } } } } }';
    assert.equal(nodes(query, { n: 10, m: 30 }), 10 * 31);
    assert.equal(nodes(query, { n: 10 }), 10 * 8);
    assert.equal(nodes(query, { m: null }), 100 * 21);
    assert.equal(
      nodes('query ($n: Int) { jobs(first: 50, last: $n) { nodes { id } } }', { n: 5 }),
      5,
    );
    assert.equal(nodes('{ jobs(first: 50, last: 70) { nodes { id } } }'), 50);
  });

  it('counts edges like nodes, and pageInfo, totalCount and cursors as nothing', () => {
    assert.equal(
      nodes(
        '{ jobs(first: 10) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id events(first: 3) { edges { node { id } } } } } } }',
      ),
      10 * (1 + 3),
    );
    assert.equal(nodes('{ jobs(first: 10) { nodes { id } edges { node { id } } } }'), 20);
  });

  it('expands fragments and inline fragments, and merges fields of the same response key', () => {
    const fragment = 'fragment E on Job { events(first: 10) { nodes { id } } }';
    assert.equal(nodes(`{ jobs(first: 10) { nodes { ...E } } } ${fragment}`), 10 * 11);
    assert.equal(
      nodes(`{ jobs(first: 10) { nodes { ... on Job { ...E } } } } ${fragment}`),
      10 * 11,
    );
    assert.equal(
      nodes(
        `{ jobs(first: 10) { nodes { ...E events(first: 10) { nodes { ts } } } } } ${fragment}`,
      ),
      10 * 11,
    );
  });

  it('counts each alias', () => {
    assert.equal(
      nodes(
        '{ a: jobs(first: 10) { nodes { id } } b: jobs(first: 10) { nodes { id } } c: viewer { role } }',
      ),
      21,
    );
  });

  it('applies @skip and @include, literal or from variables', () => {
    const query =
      'query ($skip: Boolean!, $with: Boolean = false) { jobs(first: 10) { nodes { a: events(first: 5) @skip(if: $skip) { nodes { id } } b: events(first: 5) @include(if: $with) { nodes { id } } c: events(first: 5) @skip(if: true) { nodes { id } } } } }';
    assert.equal(nodes(query, { skip: true }), 10);
    assert.equal(nodes(query, { skip: false }), 10 * 6);
    assert.equal(nodes(query, { skip: false, with: true }), 10 * 11);
    // A field skipped in one occurrence and asked in another is returned.
    assert.equal(
      nodes('query ($s: Boolean!) { viewer @skip(if: $s) { role } viewer { role } }', { s: true }),
      1,
    );
  });

  it('counts a mutation, its payload and each write', () => {
    const measured = measure(
      'mutation { a: createJob(input: { type: MOCK_PROCESS }) { job { id } } b: cancelJob(id: "00000000-0000-0000-0000-000000000000") { id } }',
    );
    assert.ok(!('errors' in measured));
    assert.deepEqual(measured.cost, { nodes: 3, writes: 2 });
  });

  it('refuses over the limit with the count, the limit and extensions.cost, never as a syntax error', () => {
    const atLimit = measure(
      '{ jobs(first: 100) { nodes { events(first: 99) { nodes { id } } } } }',
    );
    assert.ok(!('errors' in atLimit));
    assert.equal(atLimit.cost.nodes, 10_000);
    assert.equal(atLimit.refusal, undefined);

    const over = measure(
      '{ jobs(first: 100) { nodes { events(first: 10000) { nodes { id } } } } }',
    );
    assert.ok(!('errors' in over) && over.refusal);
    assert.equal(over.refusal.message.split(';')[0], 'This query could return 1,000,100 nodes');
    assert.match(over.refusal.message, /the limit is 10,000/);
    assert.doesNotMatch(over.refusal.message, /syntax/i);
    assert.deepEqual(over.refusal.extensions, {
      code: 'BAD_USER_INPUT',
      cost: { nodes: 1_000_100, limit: 10_000 },
    });
  });

  it('gives the variable errors execution would give when variables do not coerce', () => {
    const measured = measure('query ($n: Int) { jobs(first: $n) { nodes { id } } }', { n: 'many' });
    assert.ok('errors' in measured);
    assert.match(measured.errors[0]!.message, /\$n/);
  });

  it('ignores introspection and __typename', () => {
    assert.equal(nodes('{ __typename __schema { types { name fields { name } } } }'), 0);
  });
});
