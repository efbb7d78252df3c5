/**
 * Two orgs hammering the API at once, over real HTTP, spread over one or
 * more API instances: each creates jobs, lists them and asks for the other
 * org's jobs by id, many requests in flight together. Every response is
 * checked: a job created lands in its creator's org, a list holds only the
 * caller's org and every job it created, and the other org's job is null,
 * exactly like a missing one.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

interface Org {
  name: string;
  id: string;
  token: string;
  created: string[];
}

const CREATE = `mutation { createJob(input: { type: MOCK_PROCESS }) { job { id orgId } } }`;
const LIST = `{ jobs(first: 100) { totalCount nodes { id orgId } } }`;
const BY_ID = `query($id: UUID!) { job(id: $id) { id orgId } }`;

async function post(
  url: string,
  token: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown };
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data!;
}

export interface FuzzResult {
  requests: number;
  createdPerOrg: Record<string, number>;
}

/**
 * Runs `rounds` rounds; in each, both orgs send `perRound` requests each, all
 * at once, spread over `urls` in turn. Throws at the first response that
 * crosses orgs.
 */
export async function twoOrgFuzz(options: {
  urls: string[];
  orgs: Array<{ name: string; id: string; token: string }>;
  rounds: number;
  perRound: number;
}): Promise<FuzzResult> {
  const orgs: Org[] = options.orgs.map((org) => ({ ...org, created: [] }));
  let sent = 0;
  const nextUrl = () => options.urls[sent++ % options.urls.length]!;

  const one = async (org: Org, other: Org, i: number): Promise<void> => {
    const url = nextUrl();
    switch (i % 3) {
      case 0: {
        const data = await post(url, org.token, CREATE);
        const job = (data['createJob'] as { job: { id: string; orgId: string } }).job;
        assert.equal(job.orgId, org.id, `${org.name} created a job in another org`);
        org.created.push(job.id);
        return;
      }
      case 1: {
        const known = [...org.created];
        const data = await post(url, org.token, LIST);
        const jobs = data['jobs'] as {
          totalCount: number;
          nodes: Array<{ id: string; orgId: string }>;
        };
        const foreign = jobs.nodes.filter((job) => job.orgId !== org.id);
        assert.deepEqual(foreign, [], `${org.name} listed another org's jobs`);
        const ids = new Set(jobs.nodes.map((job) => job.id));
        const lost = known.filter((id) => !ids.has(id));
        assert.deepEqual(lost, [], `${org.name} does not see jobs it created`);
        return;
      }
      default: {
        const target = other.created[i % Math.max(other.created.length, 1)] ?? randomUUID();
        const data = await post(url, org.token, BY_ID, { id: target });
        assert.equal(data['job'], null, `${org.name} read another org's job`);
      }
    }
  };

  for (let round = 0; round < options.rounds; round++) {
    const inFlight: Array<Promise<void>> = [];
    for (let i = 0; i < options.perRound; i++) {
      orgs.forEach((org, k) => inFlight.push(one(org, orgs[(k + 1) % orgs.length]!, i + round)));
    }
    await Promise.all(inFlight);
  }
  return {
    requests: sent,
    createdPerOrg: Object.fromEntries(orgs.map((org) => [org.name, org.created.length])),
  };
}
