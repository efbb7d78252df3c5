import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '../../runtime/errors/errorCodes.js';
import { sendJson } from '../../runtime/http/sendJson.js';
import { recordOutcome } from './responseOutcome.js';

/** GraphQL over HTTP: answer in the media type the client asked for. */
export function graphqlMediaType(req: IncomingMessage): string {
  return req.headers.accept?.includes('application/graphql-response+json')
    ? 'application/graphql-response+json; charset=utf-8'
    : 'application/json; charset=utf-8';
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
  recordOutcome(res, code);
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
