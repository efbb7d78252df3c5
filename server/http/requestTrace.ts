/**
 * The spans of one traced request: the HTTP request's own (a child of the
 * client's `traceparent`, if it sent one), and under it token verification,
 * the GraphQL operation, and under that each SQL statement and the commit.
 * Parents are passed explicitly (no context manager runs). Made only when
 * tracing is on: otherwise every place that would start a span holds
 * `undefined` and does nothing more.
 *
 * Attributes carry no token, no claim but org and role, no SQL parameter
 * value and no error message (a PostgreSQL message can quote an input value):
 * test/server/tracing/traces.test.ts reads every attribute of every span.
 */
import type { IncomingMessage } from 'node:http';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { contextOf, formatTraceparent } from '../../runtime/tracing/traceparent.js';

const ROUTES = new Set(['/graphql', '/healthz', '/readyz']);

export class RequestTrace {
  readonly span: Span;
  /** The innermost open span's context: the request's, then its operation's. */
  #parent: Context;
  #parentSpan: Span;

  constructor(
    private readonly tracer: Tracer,
    req: IncomingMessage,
    requestId: string,
  ) {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const method = req.method ?? 'GET';
    const header = req.headers.traceparent;
    this.span = tracer.startSpan(
      `${method} ${ROUTES.has(path) ? path : 'unknown route'}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': method,
          'url.path': path,
          'heimdex.request_id': requestId,
        },
      },
      contextOf(typeof header === 'string' ? header : undefined),
    );
    this.#parentSpan = this.span;
    this.#parent = trace.setSpan(ROOT_CONTEXT, this.span);
  }

  get traceId(): string {
    return this.span.spanContext().traceId;
  }

  /** The W3C traceparent of the innermost open span (what a job created now carries). */
  get traceparent(): string {
    return formatTraceparent(this.#parentSpan.spanContext());
  }

  /** A span under the innermost open one. */
  start(name: string, attributes?: Attributes, kind = SpanKind.INTERNAL): Span {
    return this.tracer.startSpan(name, { kind, attributes }, this.#parent);
  }

  /** Later spans go under `span` (the operation's). */
  enter(span: Span): void {
    this.#parentSpan = span;
    this.#parent = trace.setSpan(ROOT_CONTEXT, span);
  }

  end(statusCode: number): void {
    this.span.setAttribute('http.response.status_code', statusCode);
    if (statusCode >= 500) this.span.setStatus({ code: SpanStatusCode.ERROR });
    this.span.end();
  }
}

/** Marks a span failed with safe attributes only (a code, never a message). */
export function spanFailed(span: Span, attributes: Attributes): void {
  span.setAttributes(attributes);
  span.setStatus({ code: SpanStatusCode.ERROR });
}
