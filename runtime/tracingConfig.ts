/**
 * The standard OpenTelemetry variables (OTEL_*) that configure tracing,
 * validated by runtime/config.ts like every other setting. The SDK is given
 * every value explicitly (runtime/tracing/startTracing.ts): the parts of it
 * we use (@opentelemetry/sdk-trace, otlp-exporter-base, otlp-transformer)
 * never look at the environment themselves, so a variable not listed here
 * has no effect.
 */
import { bool, num, str, makeValidator, EnvError, type CleanedEnv } from 'envalid';

export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];
export const TRACES_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type TracesSampler = (typeof TRACES_SAMPLERS)[number];

/**
 * `key1=value1,key2=value2` (the W3C baggage form the OTEL_* lists use),
 * values percent-decoded.
 */
export function parseKeyValueList(input: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const entry of input.split(',')) {
    if (entry.trim() === '') continue;
    const at = entry.indexOf('=');
    const key = entry.slice(0, at).trim();
    if (at < 1 || key === '') throw new EnvError('must be a list like key1=value1,key2=value2');
    try {
      pairs[key] = decodeURIComponent(entry.slice(at + 1).trim());
    } catch {
      throw new EnvError(`the value of ${key} is not valid percent-encoding`);
    }
  }
  return pairs;
}

const keyValueList = makeValidator<Record<string, string>>(parseKeyValueList);

/** OTLP/HTTP: an http:// or https:// URL (`collector:4318` alone would parse as a scheme). */
const httpUrl = makeValidator<string>((input) => {
  let parsed: URL | undefined;
  try {
    parsed = new URL(input);
  } catch {
    parsed = undefined;
  }
  if (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:') {
    throw new EnvError('must be an http:// or https:// URL, such as http://collector:4318');
  }
  return input;
});

const protocol = (desc: string) =>
  str({ choices: OTLP_PROTOCOLS, default: undefined, desc: `${desc} (grpc is not supported)` });
const compression = (desc: string) => str({ choices: ['none', 'gzip'], default: undefined, desc });

export const TRACING_SPECS = {
  OTEL_SDK_DISABLED: bool({ default: false, desc: 'true: no tracing, whatever else is set' }),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl({
    default: undefined,
    desc: 'OTLP/HTTP collector base URL; traces go to <endpoint>/v1/traces. Unset (and no traces endpoint): tracing off',
  }),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl({
    default: undefined,
    desc: 'the full URL traces are sent to; wins over OTEL_EXPORTER_OTLP_ENDPOINT',
  }),
  OTEL_EXPORTER_OTLP_PROTOCOL: protocol('http/protobuf (default) or http/json'),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol('for traces; wins over OTEL_EXPORTER_OTLP_PROTOCOL'),
  OTEL_EXPORTER_OTLP_HEADERS: keyValueList({
    default: undefined,
    desc: 'headers sent with every export, key=value,... (often a secret)',
  }),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: keyValueList({
    default: undefined,
    desc: 'for traces; added to OTEL_EXPORTER_OTLP_HEADERS, winning on the same key',
  }),
  OTEL_EXPORTER_OTLP_TIMEOUT: num({ default: undefined, desc: 'ms one export may take (10000)' }),
  OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: num({ default: undefined, desc: 'for traces' }),
  OTEL_EXPORTER_OTLP_COMPRESSION: compression('none (default) or gzip'),
  OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: compression('for traces'),
  OTEL_SERVICE_NAME: str({
    default: undefined,
    desc: 'service.name of the spans; default heimdex-api or heimdex-worker',
  }),
  OTEL_RESOURCE_ATTRIBUTES: keyValueList({
    default: undefined,
    desc: 'more resource attributes, key=value,...',
  }),
  OTEL_TRACES_SAMPLER: str({ choices: TRACES_SAMPLERS, default: 'parentbased_always_on' }),
  OTEL_TRACES_SAMPLER_ARG: num({
    default: undefined,
    desc: 'the ratio of the traceidratio samplers, 0 to 1 (1)',
  }),
  OTEL_BSP_SCHEDULE_DELAY: num({ default: 5_000, desc: 'ms between two batch exports' }),
  OTEL_BSP_EXPORT_TIMEOUT: num({ default: 30_000, desc: 'ms a batch export may take' }),
  OTEL_BSP_MAX_QUEUE_SIZE: num({ default: 2_048, desc: 'finished spans kept; more are dropped' }),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: num({ default: 512, desc: 'spans in one export' }),
};

export interface TracingConfig {
  /** Where spans are posted (OTLP/HTTP), path included. */
  url: string;
  protocol: OtlpProtocol;
  /** Sent with every export; often carries a collector's API key (summarizeConfig hides values). */
  headers: Record<string, string>;
  timeoutMs: number;
  compression: 'none' | 'gzip';
  /** Unset: the process's own name. */
  serviceName: string | undefined;
  resourceAttributes: Record<string, string>;
  sampler: TracesSampler;
  /** For the traceidratio samplers. */
  samplerRatio: number;
  batch: {
    scheduleDelayMs: number;
    exportTimeoutMs: number;
    maxQueueSize: number;
    maxBatchSize: number;
  };
}

/** The values envalid gives back for TRACING_SPECS. */
export type CleanTracingEnv = CleanedEnv<typeof TRACING_SPECS>;

/**
 * Tracing as configured, or undefined when it is off (no endpoint, or
 * OTEL_SDK_DISABLED): then nothing of the SDK is even loaded. Signal-specific
 * variables (OTEL_EXPORTER_OTLP_TRACES_*) win over the general ones, as the
 * OpenTelemetry specification says.
 */
export function tracingConfig(e: CleanTracingEnv, problems: string[]): TracingConfig | undefined {
  const ratio = e.OTEL_TRACES_SAMPLER_ARG ?? 1;
  if (!(ratio >= 0 && ratio <= 1)) problems.push('OTEL_TRACES_SAMPLER_ARG: must be from 0 to 1');
  for (const name of [
    'OTEL_EXPORTER_OTLP_TIMEOUT',
    'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
    'OTEL_BSP_SCHEDULE_DELAY',
    'OTEL_BSP_EXPORT_TIMEOUT',
    'OTEL_BSP_MAX_QUEUE_SIZE',
    'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  ] as const) {
    const value = e[name];
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      problems.push(`${name}: must be a whole number, at least 1`);
    }
  }
  if (e.OTEL_BSP_MAX_EXPORT_BATCH_SIZE > e.OTEL_BSP_MAX_QUEUE_SIZE) {
    problems.push('OTEL_BSP_MAX_EXPORT_BATCH_SIZE: must not exceed OTEL_BSP_MAX_QUEUE_SIZE');
  }
  const base = e.OTEL_EXPORTER_OTLP_ENDPOINT;
  const url =
    e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base && `${base.replace(/\/+$/, '')}/v1/traces`);
  if (e.OTEL_SDK_DISABLED || !url) return undefined;
  return {
    url,
    protocol:
      e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
    headers: { ...e.OTEL_EXPORTER_OTLP_HEADERS, ...e.OTEL_EXPORTER_OTLP_TRACES_HEADERS },
    timeoutMs: e.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT ?? e.OTEL_EXPORTER_OTLP_TIMEOUT ?? 10_000,
    compression:
      e.OTEL_EXPORTER_OTLP_TRACES_COMPRESSION ?? e.OTEL_EXPORTER_OTLP_COMPRESSION ?? 'none',
    serviceName: e.OTEL_SERVICE_NAME,
    resourceAttributes: e.OTEL_RESOURCE_ATTRIBUTES ?? {},
    sampler: e.OTEL_TRACES_SAMPLER,
    samplerRatio: ratio,
    batch: {
      scheduleDelayMs: e.OTEL_BSP_SCHEDULE_DELAY,
      exportTimeoutMs: e.OTEL_BSP_EXPORT_TIMEOUT,
      maxQueueSize: e.OTEL_BSP_MAX_QUEUE_SIZE,
      maxBatchSize: e.OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
    },
  };
}
