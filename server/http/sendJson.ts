import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '../../schema/errors/errorCodes.js';

/** GraphQL over HTTP: answer in the media type the client asked for. */
export function graphqlMediaType(req: IncomingMessage): string {
  return req.headers.accept?.includes('application/graphql-response+json')
    ? 'application/graphql-response+json; charset=utf-8'
    : 'application/json; charset=utf-8';
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(JSON.stringify(body));
}

/** A GraphQL-shaped refusal of the whole request (nothing executed). */
export function sendGraphqlError(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  code: ErrorCode,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(
    res,
    status,
    { errors: [{ message, extensions: { code } }] },
    {
      'content-type': graphqlMediaType(req),
      ...headers,
    },
  );
}
