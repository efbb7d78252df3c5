/**
 * OpenTelemetry traces for one process, configured only from Config
 * (runtime/tracingConfig.ts): a tracer provider with a batch processor and an
 * OTLP/HTTP exporter (protobuf or JSON). Called only when tracing is on; the
 * SDK's modules are loaded here, on demand, so a process without tracing never
 * loads them.
 *
 * The pieces are @opentelemetry/sdk-trace (not sdk-trace-base, whose provider
 * reads OTEL_* itself) and the exporter's own delegate (not
 * exporter-trace-otlp-http's class, which merges OTEL_EXPORTER_OTLP_* headers
 * and certificate files from the environment into what it is given): with
 * every value passed here, nothing of the SDK reads the environment.
 *
 * Nothing is registered globally (no global tracer provider, no context
 * manager): the API and the worker pass their spans' parents explicitly, so
 * no AsyncLocalStorage runs on any request, traced or not.
 */
import { diag, DiagLogLevel, type Tracer } from '@opentelemetry/api';
import type { Sampler } from '@opentelemetry/sdk-trace';
import type { TracingConfig } from '../tracingConfig.js';
import { maskUrl } from '../config.js';
import type { Logger } from '../logger.js';

export interface Tracing {
  tracer: Tracer;
  /** Exports what is still buffered, then stops. */
  shutdown(): Promise<void>;
}

/** The longest attribute value kept (a statement's text beyond it is cut). */
const MAX_ATTRIBUTE_LENGTH = 4_096;

async function samplerOf(config: TracingConfig): Promise<Sampler> {
  const sdk = await import('@opentelemetry/sdk-trace');
  const root = {
    always_on: () => new sdk.AlwaysOnSampler(),
    always_off: () => new sdk.AlwaysOffSampler(),
    traceidratio: () => new sdk.TraceIdRatioBasedSampler(config.samplerRatio),
  };
  switch (config.sampler) {
    case 'always_on':
    case 'always_off':
    case 'traceidratio':
      return root[config.sampler]();
    case 'parentbased_always_on':
      return new sdk.ParentBasedSampler({ root: root.always_on() });
    case 'parentbased_always_off':
      return new sdk.ParentBasedSampler({ root: root.always_off() });
    case 'parentbased_traceidratio':
      return new sdk.ParentBasedSampler({ root: root.traceidratio() });
  }
}

async function otlpExporter(config: TracingConfig) {
  const { OTLPExporterBase } = await import('@opentelemetry/otlp-exporter-base');
  const { createOtlpHttpExportDelegate, httpAgentFactoryFromOptions } =
    await import('@opentelemetry/otlp-exporter-base/node-http');
  const transformer = await import('@opentelemetry/otlp-transformer');
  const json = config.protocol === 'http/json';
  const contentType = json ? 'application/json' : 'application/x-protobuf';
  const headers = { ...config.headers, 'Content-Type': contentType };
  const delegate = createOtlpHttpExportDelegate(
    {
      url: config.url,
      headers: () => Promise.resolve(headers),
      timeoutMillis: config.timeoutMs,
      compression: config.compression,
      concurrencyLimit: 30,
      agentFactory: httpAgentFactoryFromOptions({ keepAlive: true }),
    },
    json ? transformer.JsonTraceSerializer : transformer.ProtobufTraceSerializer,
    'otlp_http_span_exporter',
    transformer.TraceExporterMetricsHelper,
    undefined,
  );
  return new OTLPExporterBase(delegate);
}

/** Starts tracing as configured; `service` names the process unless OTEL_SERVICE_NAME does. */
export async function startTracing(
  config: TracingConfig,
  service: { name: string; version: string },
  logger: Logger,
): Promise<Tracing> {
  const { TracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace');
  const { resourceFromAttributes } = await import('@opentelemetry/resources');
  // The SDK reports failed exports through its diagnostic logger, silent by default.
  const log = logger.child({ component: 'opentelemetry' });
  diag.setLogger(
    {
      error: (message) => log.warn(message),
      warn: (message) => log.warn(message),
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': service.name,
      'service.version': service.version,
      ...config.resourceAttributes,
      ...(config.serviceName && { 'service.name': config.serviceName }),
    }),
    sampler: await samplerOf(config),
    spanLimits: {
      attributeCountLimit: 128,
      attributeValueLengthLimit: MAX_ATTRIBUTE_LENGTH,
      eventCountLimit: 128,
      linkCountLimit: 128,
      attributePerEventCountLimit: 128,
      attributePerLinkCountLimit: 128,
    },
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: await otlpExporter(config),
        scheduledDelayMillis: config.batch.scheduleDelayMs,
        exportTimeoutMillis: config.batch.exportTimeoutMs,
        maxQueueSize: config.batch.maxQueueSize,
        maxExportBatchSize: config.batch.maxBatchSize,
      }),
    ],
  });
  logger.info(
    { url: maskUrl(config.url), protocol: config.protocol, sampler: config.sampler },
    'tracing: spans go to the OTLP endpoint',
  );
  return {
    tracer: provider.getTracer('heimdex'),
    shutdown: () => provider.shutdown(),
  };
}
