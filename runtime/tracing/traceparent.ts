/**
 * W3C Trace Context `traceparent` values: what a job row stores
 * (sql/migrations/000020_job_traceparent.sql) and what a client may send.
 */
import { ROOT_CONTEXT, trace, type Context, type SpanContext } from '@opentelemetry/api';
import { parseTraceParent } from '@opentelemetry/core';

/** `00-<trace id>-<span id>-<flags>`, the only version the job column accepts. */
export function formatTraceparent({ traceId, spanId, traceFlags }: SpanContext): string {
  return `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}`;
}

/**
 * A context whose parent is the span `traceparent` names, or the root
 * context when it is missing or malformed (a bad value starts a new trace,
 * it never fails the work).
 */
export function contextOf(traceparent: string | null | undefined): Context {
  const parent = traceparent ? parseTraceParent(traceparent) : null;
  return parent ? trace.setSpanContext(ROOT_CONTEXT, { ...parent, isRemote: true }) : ROOT_CONTEXT;
}
