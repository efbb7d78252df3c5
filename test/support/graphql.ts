/** Sends GraphQL over HTTP the way a client does. */
import type supertest from 'supertest';

export interface GraphqlBody {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }>;
}

export async function graphql(
  http: ReturnType<typeof supertest>,
  token: string | undefined,
  query: string,
  variables?: Record<string, unknown>,
): Promise<{ status: number; body: GraphqlBody; headers: Record<string, string> }> {
  const request = http.post('/graphql').set('content-type', 'application/json');
  if (token) request.set('authorization', `Bearer ${token}`);
  const response = await request.send({ query, variables });
  return {
    status: response.status,
    body: response.body as GraphqlBody,
    headers: response.headers as Record<string, string>,
  };
}

/** The error codes of a response, in order. */
export function codes(body: GraphqlBody): unknown[] {
  return (body.errors ?? []).map((error) => error.extensions?.['code']);
}
