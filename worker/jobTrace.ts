/**
 * The spans of one run of a job, in the trace of the request that created
 * it: the job row's traceparent (sql/migrations/000020_job_traceparent.sql),
 * which the start transition returns for the job actually started (the fair
 * queue may start another job of the org in this queue job's turn). A job
 * created without tracing starts a trace of its own.
 *
 *   job mock_process          the run, start to end; its status at the end
 *     job start               the start transition
 *     job stage extracting    each stage, from its transition to the next
 *     job stage analyzing
 *     job stage indexing
 *     job succeed | job fail  the end transition
 *
 * Attributes: ids, the attempt, stages, the status and an error code;
 * never a message or a result. Made only when tracing is on.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { contextOf } from '../runtime/tracing/traceparent.js';
import type { JobRun, LedgerState } from './ledger.js';

/** How a run ended, as its span says it. */
export interface RunEnding {
  /** The job's status after the run (or what stopped the run: superseded, missing). */
  status: string;
  code?: string | undefined;
}

export class JobTrace {
  readonly #run: Span;
  readonly #parent: Context;
  #stage: Span | undefined;

  constructor(
    private readonly tracer: Tracer,
    task: string,
    run: JobRun,
    queueJobId: string,
    started: LedgerState,
    /** When the start transition was sent (epoch ms). */
    startTime: number,
  ) {
    this.#run = tracer.startSpan(
      `job ${task}`,
      {
        kind: SpanKind.CONSUMER,
        startTime,
        attributes: {
          'heimdex.job.id': started.jobId ?? run.jobId,
          'heimdex.job.type': task,
          'heimdex.job.attempt': run.attempt,
          'heimdex.org_id': run.orgId,
          'heimdex.queue_job.id': queueJobId,
        },
      },
      contextOf(started.traceparent),
    );
    this.#parent = trace.setSpan(ROOT_CONTEXT, this.#run);
    this.tracer
      .startSpan(
        'job start',
        { startTime, attributes: { 'heimdex.job.outcome': started.outcome } },
        this.#parent,
      )
      .end();
  }

  /** The run is now in `stage`: the previous stage's span ends. */
  stage(stage: string): void {
    this.#stage?.end();
    this.#stage = this.tracer.startSpan(
      `job stage ${stage}`,
      { attributes: { 'heimdex.job.stage': stage } },
      this.#parent,
    );
  }

  /** An end transition (`job succeed`, `job fail`) as a span; a failure's code marks the stage failed. */
  async transition<T>(name: string, send: () => Promise<T>, failedCode?: string): Promise<T> {
    if (failedCode && this.#stage) {
      this.#stage.setAttribute('error.type', failedCode);
      this.#stage.setStatus({ code: SpanStatusCode.ERROR });
    }
    this.#stage?.end();
    this.#stage = undefined;
    const span = this.tracer.startSpan(name, {}, this.#parent);
    try {
      return await send();
    } finally {
      span.end();
    }
  }

  end({ status, code }: RunEnding): void {
    this.#stage?.end();
    this.#run.setAttribute('heimdex.job.status', status);
    if (code) {
      this.#run.setAttribute('error.type', code);
      this.#run.setStatus({ code: SpanStatusCode.ERROR });
    }
    this.#run.end();
  }
}
