/**
 * The spans of one traced request: the HTTP request's own (a child of the
 * client's `traceparent`, if it sent one), and under it token verification,
 * the GraphQL operation, and under that each SQL statement and the commit.
 * Parents are passed explicitly (no context manager runs). Made only when
 * tracing is on: otherwise every place that would start a span holds
 * `undefined` and does nothing more.
 *
 * A request the sampler leaves out costs one non-recording root span: its
 * attributes are not built, and `recording` is false, so the places that
 * would start the child spans (token verification, the operation, each
 * statement, the commit) take their untraced path. Every supported sampler
 * decides a child as it decided the root (the same trace id, or the parent's
 * flag), so those children would not have recorded either. The root still
 * gives the trace id (logged) and the traceparent a job stores, unsampled, so
 * the worker's parent-based sampler leaves the job out too.
 *
 * Attributes carry no token, no claim but org and role, no SQL parameter
 * value and no error message (a PostgreSQL message can quote an input value):
 * test/tracing/traces.test.ts reads every attribute of every span.
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
  /** Sampled: child spans are worth making. */
  readonly recording: boolean;
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
    // No sampler of ours reads the attributes: they are set only once the span records.
    this.span = tracer.startSpan(
      `${method} ${ROUTES.has(path) ? path : 'unknown route'}`,
      { kind: SpanKind.SERVER },
      typeof header === 'string' ? contextOf(header) : ROOT_CONTEXT,
    );
    this.recording = this.span.isRecording();
    if (this.recording) {
      this.span.setAttributes({
        'http.request.method': method,
        'url.path': path,
        'heimdex.request_id': requestId,
      });
    }
    this.#parentSpan = this.span;
    // Unsampled, start() never reads it.
    this.#parent = this.recording ? trace.setSpan(ROOT_CONTEXT, this.span) : ROOT_CONTEXT;
  }

  get traceId(): string {
    return this.span.spanContext().traceId;
  }

  /** The W3C traceparent of the innermost open span (what a job created now carries). */
  get traceparent(): string {
    return formatTraceparent(this.#parentSpan.spanContext());
  }

  /** A span under the innermost open one; unsampled, the root's own (non-recording) span. */
  start(name: string, attributes?: Attributes, kind = SpanKind.INTERNAL): Span {
    if (!this.recording) return this.span;
    return this.tracer.startSpan(name, { kind, attributes }, this.#parent);
  }

  /** Later spans go under `span` (the operation's). */
  enter(span: Span): void {
    this.#parentSpan = span;
    this.#parent = trace.setSpan(ROOT_CONTEXT, span);
  }

  end(statusCode: number): void {
    if (!this.recording) return;
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
