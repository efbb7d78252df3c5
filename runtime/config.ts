/**
 * The one place that reads `process.env`. Everything is validated at start-up;
 * a bad or missing variable stops the process with a message that names it
 * and says what to set.
 */
import { readFileSync } from 'node:fs';
import { LOCAL_ORIGINS, parseAllowedOrigins, type AllowedOrigins } from './http/allowedOrigins.js';
import {
  cleanEnv,
  str,
  num,
  bool,
  port,
  url,
  makeValidator,
  EnvError,
  EnvMissingError,
  type CleanedEnv,
} from 'envalid';
import { tracingConfig, TRACING_SPECS, type TracingConfig } from './tracingConfig.js';

export const HEIMDEX_ENVS = ['local', 'dev', 'staging', 'prod'] as const;
export type HeimdexEnv = (typeof HEIMDEX_ENVS)[number];
export const AUTH_PROVIDERS = ['dev', 'jwks'] as const;
export type AuthProvider = (typeof AUTH_PROVIDERS)[number];
/** What stands between the processes and PostgreSQL: nothing, or a transaction-mode pooler. */
export const DB_POOLERS = ['none', 'transaction'] as const;
export type DbPooler = (typeof DB_POOLERS)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The HS256 secret `npm start` and `npm run token` use when DEV_JWT_SECRET is
 * unset (loadLocalConfig). Everything else must be given a secret: a process
 * started by hand never falls back to one that is written here for all to read.
 */
const LOCAL_DEV_JWT_SECRET = 'heimdex-local-development-secret-do-not-use-elsewhere';

/** Dev tokens carry and require this issuer and audience, so tokens minted for anything else fail. */
export const DEV_TOKEN_ISSUER = 'heimdex-local';
export const DEV_TOKEN_AUDIENCE = 'heimdex-local';

/** Dev authentication only ever listens here: a forgeable token must not be reachable from outside. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const secret32 = makeValidator<string>((input) => {
  if (Buffer.byteLength(input, 'utf8') < 32) {
    throw new EnvError('must be at least 32 bytes (generate one with `openssl rand -base64 48`)');
  }
  return input;
});

/** `86400`, `90s`, `30m`, `24h` or `7d`, in seconds. */
const durationSeconds = makeValidator<number>((input) => {
  const match = /^(\d+)\s*([smhd]?)$/.exec(input.trim());
  const seconds = match
    ? Number(match[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2]!]!
    : NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 1) {
    throw new EnvError('must be a duration such as 86400, 90m, 24h or 7d (at least 1 s)');
  }
  return seconds;
});

export const postgresUrl = makeValidator<string>((input) => {
  let parsed: URL;
  try {
    parsed = new URL(input);
  } catch {
    throw new EnvError('must be a postgres:// connection URL');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new EnvError('must be a postgres:// connection URL');
  }
  return input;
});

/** What an org may ask of the queue unless JOBS_MAX_ACTIVE_PER_ORG / JOBS_MAX_ATTEMPTS say otherwise. */
export const JOB_LIMIT_DEFAULTS = { maxActivePerOrg: 10_000, maxAttempts: 25 } as const;

const SPECS = {
  // Unset means production: forgetting it must never switch on dev authentication.
  HEIMDEX_ENV: str({ choices: HEIMDEX_ENVS, default: 'prod', desc: 'deployment environment' }),
  PORT: port({ default: 4000, desc: 'HTTP port of the API' }),
  HOST: str({ default: '127.0.0.1', desc: 'interface the API listens on (0.0.0.0 in containers)' }),
  LOG_LEVEL: str({ choices: LOG_LEVELS, default: 'info' }),

  DATABASE_URL: postgresUrl({
    default: undefined,
    desc: 'local mode: a URL that may create roles; unset starts an embedded PostgreSQL',
  }),
  API_DATABASE_URL: postgresUrl({ default: undefined, desc: 'API, as heimdex_authenticator' }),
  WORKER_DATABASE_URL: postgresUrl({ default: undefined, desc: 'worker, as heimdex_worker' }),
  MIGRATION_DATABASE_URL: postgresUrl({ default: undefined, desc: 'migrations, as heimdex_owner' }),
  DB_POOLER: str({
    choices: DB_POOLERS,
    default: 'none',
    desc: 'transaction: the API and worker URLs point at a transaction-mode pooler (PgBouncer); statements run unnamed and session state goes to DIRECT_DATABASE_URL',
  }),
  DIRECT_DATABASE_URL: postgresUrl({
    default: undefined,
    desc: "with DB_POOLER=transaction: this process's role, straight to PostgreSQL (the worker's LISTEN); derived in local mode",
  }),
  READ_DATABASE_URL: postgresUrl({
    default: undefined,
    desc: 'a streaming replica, as heimdex_authenticator: queries read there (local mode: a URL of the replica whose user is replaced, as for DATABASE_URL); unset: everything on the primary',
  }),
  READ_REPLICA_MAX_LAG_MS: num({
    default: 1_000,
    desc: 'a replica further behind than this (or down) is skipped: reads go to the primary',
  }),
  DB_POOL_MAX: num({ default: 10 }),
  DB_POOL_MAX_PER_ORG: num({
    default: undefined,
    desc: 'API connections one org may hold at once (default: half of DB_POOL_MAX, at least 1); waiting orgs are served in turn',
  }),
  DB_POOL_FAIR: str({
    choices: ['on', 'off'],
    default: 'on',
    desc: 'off: a plain first-come pool without per-org queues or shares (benchmarks only; refused outside local mode)',
  }),
  DB_CONNECTION_TIMEOUT_MS: num({ default: 5_000 }),
  DB_IDLE_TIMEOUT_MS: num({ default: 30_000 }),
  DB_STATEMENT_TIMEOUT_MS: num({ default: 5_000 }),
  EMBEDDED_PG_PORT: port({ default: 54329 }),
  EMBEDDED_PG_DIR: str({ default: '.data/postgres' }),

  AUTH_PROVIDER: str({ choices: AUTH_PROVIDERS, default: undefined }),
  DEV_JWT_SECRET: secret32({ default: undefined }),
  JWKS_URL: url({ default: undefined }),
  AUTH_ISSUER: str({ default: undefined }),
  AUTH_AUDIENCE: str({ default: undefined }),
  AUTH_CLOCK_TOLERANCE_S: num({ default: 5 }),
  AUTH_MAX_TOKEN_AGE: durationSeconds({
    default: 86_400,
    desc: 'oldest token accepted, counted from its iat (which becomes required)',
  }),
  AUTH_TOKEN_CACHE_SIZE: num({
    default: 10_000,
    desc: 'verified tokens kept in memory; 0 turns the cache off',
  }),
  AUTH_JWKS_COOLDOWN_MS: num({
    default: 30_000,
    desc: 'minimum time between key set fetches for unknown keys',
  }),
  AUTH_JWKS_REFRESH_MS: num({ default: 600_000, desc: 'background refresh period of the key set' }),
  AUTH_JWKS_TIMEOUT_MS: num({ default: 5_000 }),
  HTTP_MAX_BODY_BYTES: num({ default: 102_400, desc: 'largest accepted request body' }),
  HTTP_HEADERS_TIMEOUT_MS: num({ default: 10_000, desc: 'time to receive request headers' }),
  HTTP_REQUEST_TIMEOUT_MS: num({ default: 30_000, desc: 'time to receive a whole request' }),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: num({
    default: 5_000,
    desc: 'idle keep-alive connections close after this; behind a load balancer, above its idle timeout',
  }),
  PERSISTED_OPERATIONS_FILE: str({
    default: undefined,
    desc: 'a codegen manifest (hash -> document): clients may send a known hash instead of the document',
  }),
  RATE_LIMIT: str({
    choices: ['on', 'off'],
    default: 'on',
    desc: 'off: no rate budgets at all (benchmarks only; refused outside local mode)',
  }),
  RATE_LIMIT_ORG_POINTS: num({
    default: 500_000,
    desc: 'points per minute per org, per API instance; a request spends its node count',
  }),
  RATE_LIMIT_USER_POINTS: num({
    default: 100_000,
    desc: 'points per minute per user (sub within an org), per API instance',
  }),
  RATE_LIMIT_EARLY_DELAY_MS: num({
    default: 1_000,
    desc: 'a user refused again before its Retry-After gets its 429 this much later (at most its Retry-After); 0: at once',
  }),
  RATE_LIMIT_BAD_TOKENS: num({
    default: 60,
    desc: 'failed token verifications per minute per client address before 429s',
  }),
  TRUSTED_PROXY_HOPS: num({
    default: 0,
    desc: 'proxies in front of the API that append to X-Forwarded-For (Cloud Run: 1); 0: the socket address is the client',
  }),
  MAX_QUERY_NODES: num({
    default: 10_000,
    desc: 'most nodes one request may ask for (pages multiply); more is refused before it runs',
  }),
  ADMISSION_MAX_NODES: num({
    default: 10_000,
    desc: 'request cost (nodes, plus 10 per write) running at once over all orgs; more waits its turn',
  }),
  ADMISSION_MAX_NODES_PER_ORG: num({
    default: undefined,
    desc: 'request cost one org may have running at once (default: a quarter of ADMISSION_MAX_NODES); a costlier request runs alone within its org',
  }),
  PERSISTED_OPERATIONS_ONLY: bool({
    default: false,
    desc: 'accept only the documents of PERSISTED_OPERATIONS_FILE (an allow-list)',
  }),
  WS_MAX_SUBSCRIPTIONS: num({ default: 20, desc: 'subscriptions one WebSocket may hold at once' }),
  WS_MAX_SOCKETS_PER_USER: num({
    default: 10,
    desc: 'WebSockets one user (JWT sub) may hold open on one API process',
  }),
  WS_MAX_MESSAGE_BYTES: num({
    default: 65_536,
    desc: 'largest WebSocket message a client may send (larger: closed with 1009)',
  }),
  WS_KEEPALIVE_MS: num({
    default: 15_000,
    desc: 'ping each WebSocket this often; one that does not answer by the next ping is dropped',
  }),
  METRICS_PORT: port({
    default: undefined,
    desc: 'serve Prometheus metrics on GET /metrics on this port (never PORT); unset: no metrics endpoint',
  }),
  WORKER_METRICS_PORT: port({
    default: undefined,
    desc: "the worker's metrics port when it runs beside the API (npm start sets METRICS_PORT + 1); unset: METRICS_PORT",
  }),
  SLOW_REQUEST_MS: num({
    default: 1_000,
    desc: 'a GraphQL request slower than this is logged at warn (slow request)',
  }),
  IDE: str({
    choices: ['on', 'off'],
    default: undefined,
    desc: 'the GraphQL IDE (Ruru) on GET /graphql for browsers; default on in local mode, off elsewhere; on is refused outside local and dev',
  }),
  CORS_ORIGINS: str({
    default: undefined,
    desc: 'comma-separated origins browsers may call the API from (https://app.example.com, or http://host:* for any port); unset: http://localhost:* and http://127.0.0.1:* in local mode, none elsewhere',
  }),
  WS_ALLOWED_ORIGINS: str({
    default: undefined,
    desc: 'comma-separated Origins browsers may open WebSockets from; `*` any; unset: the CORS_ORIGINS list (clients that send no Origin always may)',
  }),

  WORKER_CONCURRENCY: num({ default: 4 }),
  WORKER_POLL_INTERVAL_MS: num({ default: 2_000 }),
  WORKER_LOCAL_QUEUE_SIZE: num({ default: -1, desc: '-1 turns the local queue off' }),
  WORKER_POOL_MAX: num({ default: undefined, desc: 'default: concurrency + 2' }),
  WORKER_HEARTBEAT_MS: num({ default: 5_000, desc: 'how often a worker pool says it is alive' }),
  WORKER_STALE_AFTER_MS: num({
    default: 30_000,
    desc: 'a pool silent this long is dead; a live pool frees its job locks',
  }),
  WORKER_RECONNECT_TIMEOUT_MS: num({
    default: 60_000,
    desc: 'how long a running job waits for a lost database to come back',
  }),
  WORKER_HEALTH_PORT: port({
    default: undefined,
    desc: 'serve GET /healthz for the worker on this port (a Cloud Run service needs one); unset: no HTTP at all',
  }),
  JOB_STAGE_DURATION_MS: num({ default: 200 }),
  JOBS_MAX_ACTIVE_PER_ORG: num({
    default: JOB_LIMIT_DEFAULTS.maxActivePerOrg,
    desc: 'queued plus running jobs an org may have; createJob and retryJob beyond it: QUOTA_EXCEEDED',
  }),
  JOBS_MAX_ATTEMPTS: num({
    default: JOB_LIMIT_DEFAULTS.maxAttempts,
    desc: 'the most attempts a job may ask for (1 to 25); a larger maxAttempts is lowered to it',
  }),
  SHUTDOWN_TIMEOUT_MS: num({ default: 10_000 }),
  ...TRACING_SPECS,
};

/** Every variable the processes read (the README's configuration table lists each). */
export const CONFIG_VARIABLES = Object.keys(SPECS) as ReadonlyArray<keyof typeof SPECS>;

export interface DatabaseConfig {
  /** Local mode only: a URL with the right to create roles; the rest is derived from it. */
  adminUrl: string | undefined;
  /** Local mode without DATABASE_URL: start the embedded PostgreSQL. */
  embedded: boolean;
  apiUrl: string | undefined;
  workerUrl: string | undefined;
  migrationUrl: string | undefined;
  /** `transaction`: the role URLs lead to a transaction-mode pooler (see server/db/pooler.ts). */
  pooler: DbPooler;
  /** This process's role, bypassing the pooler, for connections that keep session state. */
  directUrl: string | undefined;
  /** A streaming replica for read-only requests (runtime/db/roleUrls.ts derives its role's URL). */
  readUrl: string | undefined;
  /** Reads skip a replica whose replay is further behind than this. */
  replicaMaxLagMs: number;
  poolMax: number;
  /** API connections one org may hold at once (runtime/db/fairPool.ts). */
  poolMaxPerOrg: number;
  /** False only in benchmarks (DB_POOL_FAIR=off): the plain FIFO pool. */
  poolFair: boolean;
  connectionTimeoutMs: number;
  idleTimeoutMs: number;
  statementTimeoutMs: number;
  embeddedPort: number;
  embeddedDir: string;
}

export type AuthConfig = (
  | { provider: 'dev'; secret: string }
  | {
      provider: 'jwks';
      jwksUrl: string;
      issuer: string;
      audience: string;
      jwksCooldownMs: number;
      jwksRefreshMs: number;
      jwksTimeoutMs: number;
    }
) & {
  clockToleranceS: number;
  /** Seconds since `iat` after which a token is refused, whatever its `exp`. */
  maxTokenAgeS: number;
  tokenCacheSize: number;
};

export interface WebSocketConfig {
  maxSubscriptions: number;
  maxSocketsPerUser: number;
  maxMessageBytes: number;
  keepAliveMs: number;
  /** Origins a browser may open a socket from; '*': any. */
  allowedOrigins: AllowedOrigins;
}

export interface Config {
  env: HeimdexEnv;
  version: string;
  http: {
    host: string;
    port: number;
    maxBodyBytes: number;
    /** How long a client may take (server/http/serverTimeouts.ts). */
    timeouts: { headersMs: number; requestMs: number; keepAliveMs: number };
    /** Manifest of persisted operations (server/http/persistedOperations.ts); unset: none. */
    persistedOperationsFile: string | undefined;
    /** Refuse every document that is not in the manifest. */
    persistedOperationsOnly: boolean;
    /** Requests slower than this are logged at warn. */
    slowRequestMs: number;
    /** Serve the GraphQL IDE (server/http/ide.ts): local mode, or dev with IDE=on. */
    ide: boolean;
    /** Origins whose pages may call the API (CORS); never '*'. */
    corsOrigins: readonly string[];
  };
  websocket: WebSocketConfig;
  logLevel: LogLevel;
  /** What one tenant may ask of the shared API (docs/security.md, "Limits between tenants"). */
  limits: {
    /** Requests whose operation may return more nodes are refused before they run. */
    maxQueryNodes: number;
    /**
     * Cost running at once, over all orgs and per org (runtime/admission/costAdmission.ts); a
     * request waits for its turn at most database.connectionTimeoutMs.
     */
    admission: { maxNodes: number; maxNodesPerOrg: number };
    /** Per-minute budgets of this instance (server/http/rateLimits.ts); unset: RATE_LIMIT=off. */
    rate:
      | {
          orgPoints: number;
          userPoints: number;
          badTokensPerAddress: number;
          earlyRefusalDelayMs: number;
        }
      | undefined;
    /** Entries of X-Forwarded-For appended by proxies we trust; 0: the socket address. */
    trustedProxyHops: number;
  };
  database: DatabaseConfig;
  auth: AuthConfig;
  worker: {
    concurrency: number;
    pollIntervalMs: number;
    localQueueSize: number;
    poolMax: number;
    heartbeatMs: number;
    staleAfterMs: number;
    reconnectTimeoutMs: number;
    /** Never PORT: `npm start` runs the API and the worker side by side. */
    healthPort: number | undefined;
    stageDurationMs: number;
  };
  /** Prometheus endpoints (runtime/metrics/metricsServer.ts); unset: none. */
  metrics: { apiPort: number | undefined; workerPort: number | undefined };
  /** What an org may ask of the queue; the job mutations apply it. */
  jobs: { maxActivePerOrg: number; maxAttempts: number };
  shutdownTimeoutMs: number;
  /** OpenTelemetry traces (runtime/tracingConfig.ts); undefined: off. */
  tracing: TracingConfig | undefined;
}

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function reportErrors({ errors }: { errors: Partial<Record<string, Error>> }): void {
  const lines = Object.entries(errors).map(([name, err]) =>
    err instanceof EnvMissingError
      ? `  ${name}: missing; set it in the environment`
      : `  ${name}: ${err?.message ?? 'invalid'}`,
  );
  if (lines.length > 0) {
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
}

/** Validates the environment; throws ConfigError naming every variable that is wrong. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const e = cleanEnv(source, SPECS, { reporter: reportErrors });
  const env = e.HEIMDEX_ENV;
  const local = env === 'local';
  const problems: string[] = [];

  const provider: AuthProvider = e.AUTH_PROVIDER ?? (local ? 'dev' : 'jwks');
  let auth: AuthConfig | undefined;
  const common = {
    clockToleranceS: e.AUTH_CLOCK_TOLERANCE_S,
    maxTokenAgeS: e.AUTH_MAX_TOKEN_AGE,
    tokenCacheSize: e.AUTH_TOKEN_CACHE_SIZE,
  };
  if (provider === 'dev') {
    if (!local) {
      problems.push(
        `AUTH_PROVIDER: "dev" (HS256 shared secret) is refused when HEIMDEX_ENV=${env}; set AUTH_PROVIDER=jwks`,
      );
    }
    if (!isLoopbackHost(e.HOST)) {
      problems.push(
        `HOST: dev authentication (HS256 shared secret) listens on loopback only (127.0.0.1, ::1), not ${e.HOST}; set AUTH_PROVIDER=jwks to serve other hosts`,
      );
    }
    if (e.DEV_JWT_SECRET) {
      auth = { provider, secret: e.DEV_JWT_SECRET, ...common };
    } else if (local) {
      problems.push(
        'DEV_JWT_SECRET: missing; dev authentication needs a secret of at least 32 bytes (`npm start` and `npm run token` bring their own)',
      );
    }
  } else {
    const missing = (['JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE'] as const).filter((k) => !e[k]);
    for (const k of missing) problems.push(`${k}: missing; AUTH_PROVIDER=jwks requires it`);
    if (e.JWKS_URL && !local && !e.JWKS_URL.startsWith('https://')) {
      problems.push('JWKS_URL: must use https:// outside local mode');
    }
    if (e.JWKS_URL && e.AUTH_ISSUER && e.AUTH_AUDIENCE) {
      auth = {
        provider,
        jwksUrl: e.JWKS_URL,
        issuer: e.AUTH_ISSUER,
        audience: e.AUTH_AUDIENCE,
        jwksCooldownMs: e.AUTH_JWKS_COOLDOWN_MS,
        jwksRefreshMs: e.AUTH_JWKS_REFRESH_MS,
        jwksTimeoutMs: e.AUTH_JWKS_TIMEOUT_MS,
        ...common,
      };
    }
  }
  if (e.DEV_JWT_SECRET && !local) {
    problems.push(`DEV_JWT_SECRET: must not be set when HEIMDEX_ENV=${env}`);
  }

  // Outside local mode each process is given only its own URL (API_, WORKER_
  // or MIGRATION_DATABASE_URL); runtime/db/roleUrls.ts asks for the one it needs.
  if (!local) {
    if (e.DATABASE_URL) {
      problems.push(
        'DATABASE_URL: only used in local mode; set API_DATABASE_URL, WORKER_DATABASE_URL and MIGRATION_DATABASE_URL',
      );
    }
  }
  if (e.AUTH_CLOCK_TOLERANCE_S < 0 || e.AUTH_CLOCK_TOLERANCE_S > 300) {
    problems.push('AUTH_CLOCK_TOLERANCE_S: must be between 0 and 300 seconds');
  }
  if (e.WORKER_CONCURRENCY < 1) problems.push('WORKER_CONCURRENCY: must be at least 1');
  if (!Number.isInteger(e.JOBS_MAX_ACTIVE_PER_ORG) || e.JOBS_MAX_ACTIVE_PER_ORG < 1) {
    problems.push('JOBS_MAX_ACTIVE_PER_ORG: must be a whole number, at least 1');
  }
  if (
    !Number.isInteger(e.JOBS_MAX_ATTEMPTS) ||
    e.JOBS_MAX_ATTEMPTS < 1 ||
    e.JOBS_MAX_ATTEMPTS > 25
  ) {
    problems.push('JOBS_MAX_ATTEMPTS: must be a whole number from 1 to 25');
  }
  if (e.WORKER_POLL_INTERVAL_MS < 1) problems.push('WORKER_POLL_INTERVAL_MS: must be at least 1');
  if (e.WORKER_HEARTBEAT_MS < 1) problems.push('WORKER_HEARTBEAT_MS: must be at least 1');
  if (e.WORKER_STALE_AFTER_MS < 2 * e.WORKER_HEARTBEAT_MS) {
    problems.push(
      'WORKER_STALE_AFTER_MS: must be at least twice WORKER_HEARTBEAT_MS, or live workers look dead',
    );
  }
  if (e.JOB_STAGE_DURATION_MS < 0) problems.push('JOB_STAGE_DURATION_MS: must not be negative');
  if (e.DB_POOL_MAX < 1) problems.push('DB_POOL_MAX: must be at least 1');
  const poolMaxPerOrg = e.DB_POOL_MAX_PER_ORG ?? Math.max(1, Math.floor(e.DB_POOL_MAX / 2));
  if (!Number.isInteger(poolMaxPerOrg) || poolMaxPerOrg < 1 || poolMaxPerOrg > e.DB_POOL_MAX) {
    problems.push('DB_POOL_MAX_PER_ORG: must be a whole number from 1 to DB_POOL_MAX');
  }
  if (e.DB_POOL_FAIR === 'off' && !local) {
    problems.push(`DB_POOL_FAIR: "off" is for benchmarks only and refused when HEIMDEX_ENV=${env}`);
  }
  if (!Number.isInteger(e.READ_REPLICA_MAX_LAG_MS) || e.READ_REPLICA_MAX_LAG_MS < 0) {
    problems.push('READ_REPLICA_MAX_LAG_MS: must be a whole number of milliseconds, 0 or more');
  }
  const admissionPerOrg =
    e.ADMISSION_MAX_NODES_PER_ORG ?? Math.max(1, Math.floor(e.ADMISSION_MAX_NODES / 4));
  if (
    !Number.isInteger(admissionPerOrg) ||
    admissionPerOrg < 1 ||
    admissionPerOrg > e.ADMISSION_MAX_NODES
  ) {
    problems.push(
      'ADMISSION_MAX_NODES_PER_ORG: must be a whole number from 1 to ADMISSION_MAX_NODES',
    );
  }
  for (const name of [
    'MAX_QUERY_NODES',
    'ADMISSION_MAX_NODES',
    'RATE_LIMIT_ORG_POINTS',
    'RATE_LIMIT_USER_POINTS',
    'RATE_LIMIT_BAD_TOKENS',
  ] as const) {
    if (!Number.isInteger(e[name]) || e[name] < 1) {
      problems.push(`${name}: must be a whole number, at least 1`);
    }
  }
  if (
    !Number.isInteger(e.RATE_LIMIT_EARLY_DELAY_MS) ||
    e.RATE_LIMIT_EARLY_DELAY_MS < 0 ||
    e.RATE_LIMIT_EARLY_DELAY_MS > 10_000
  ) {
    problems.push('RATE_LIMIT_EARLY_DELAY_MS: must be a whole number from 0 to 10000');
  }
  if (e.RATE_LIMIT === 'off' && !local) {
    problems.push(`RATE_LIMIT: "off" is for benchmarks only and refused when HEIMDEX_ENV=${env}`);
  }
  if (!Number.isInteger(e.TRUSTED_PROXY_HOPS) || e.TRUSTED_PROXY_HOPS < 0) {
    problems.push('TRUSTED_PROXY_HOPS: must be a whole number, 0 or more');
  }
  for (const name of [
    'WS_MAX_SUBSCRIPTIONS',
    'WS_MAX_SOCKETS_PER_USER',
    'WS_MAX_MESSAGE_BYTES',
    'WS_KEEPALIVE_MS',
  ] as const) {
    if (!Number.isInteger(e[name]) || e[name] < 1)
      problems.push(`${name}: must be a whole number, at least 1`);
  }
  let corsOrigins: readonly string[] = [];
  try {
    const parsed =
      e.CORS_ORIGINS === undefined ? undefined : parseAllowedOrigins(e.CORS_ORIGINS, false);
    corsOrigins = parsed === '*' ? [] : (parsed ?? (local ? LOCAL_ORIGINS : []));
  } catch {
    problems.push(
      'CORS_ORIGINS: each entry must be an origin like https://app.example.com or http://localhost:* (never *)',
    );
  }
  let origins: AllowedOrigins = corsOrigins;
  try {
    if (e.WS_ALLOWED_ORIGINS !== undefined)
      origins = parseAllowedOrigins(e.WS_ALLOWED_ORIGINS, true);
  } catch {
    problems.push(
      'WS_ALLOWED_ORIGINS: each entry must be an origin like https://app.example.com or http://localhost:*, or *',
    );
  }
  for (const name of [
    'HTTP_HEADERS_TIMEOUT_MS',
    'HTTP_REQUEST_TIMEOUT_MS',
    'HTTP_KEEP_ALIVE_TIMEOUT_MS',
  ] as const) {
    if (!Number.isInteger(e[name]) || e[name] < 100) problems.push(`${name}: must be at least 100`);
  }
  if (e.HTTP_REQUEST_TIMEOUT_MS < e.HTTP_HEADERS_TIMEOUT_MS) {
    problems.push('HTTP_REQUEST_TIMEOUT_MS: must not be shorter than HTTP_HEADERS_TIMEOUT_MS');
  }
  if (!Number.isInteger(e.SLOW_REQUEST_MS) || e.SLOW_REQUEST_MS < 0) {
    problems.push('SLOW_REQUEST_MS: must be a whole number of milliseconds, 0 or more');
  }
  const workerMetricsPort = e.WORKER_METRICS_PORT ?? e.METRICS_PORT;
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT === e.PORT) {
    problems.push('METRICS_PORT: must not be PORT; metrics are never served on the public port');
  }
  if (workerMetricsPort !== undefined && workerMetricsPort === e.WORKER_HEALTH_PORT) {
    problems.push("WORKER_METRICS_PORT: must not be the worker's health port (WORKER_HEALTH_PORT)");
  }
  if (e.WORKER_METRICS_PORT !== undefined && e.WORKER_METRICS_PORT === e.PORT) {
    problems.push("WORKER_METRICS_PORT: must not be PORT, the API's public port");
  }
  if (e.IDE === 'on' && env !== 'local' && env !== 'dev') {
    problems.push(
      `IDE: "on" is for local and dev deployments only, refused when HEIMDEX_ENV=${env}`,
    );
  }
  if (e.PERSISTED_OPERATIONS_ONLY && !e.PERSISTED_OPERATIONS_FILE) {
    problems.push('PERSISTED_OPERATIONS_ONLY: needs PERSISTED_OPERATIONS_FILE, the list it allows');
  }

  const tracing = tracingConfig(e, problems);

  if (problems.length > 0 || !auth) {
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }

  return {
    env,
    version: readVersion(),
    http: {
      host: e.HOST,
      port: e.PORT,
      maxBodyBytes: e.HTTP_MAX_BODY_BYTES,
      timeouts: {
        headersMs: e.HTTP_HEADERS_TIMEOUT_MS,
        requestMs: e.HTTP_REQUEST_TIMEOUT_MS,
        keepAliveMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      },
      persistedOperationsFile: e.PERSISTED_OPERATIONS_FILE,
      persistedOperationsOnly: e.PERSISTED_OPERATIONS_ONLY,
      slowRequestMs: e.SLOW_REQUEST_MS,
      ide: (e.IDE ?? (local ? 'on' : 'off')) === 'on',
      corsOrigins,
    },
    websocket: {
      maxSubscriptions: e.WS_MAX_SUBSCRIPTIONS,
      maxSocketsPerUser: e.WS_MAX_SOCKETS_PER_USER,
      maxMessageBytes: e.WS_MAX_MESSAGE_BYTES,
      keepAliveMs: e.WS_KEEPALIVE_MS,
      allowedOrigins: origins,
    },
    logLevel: e.LOG_LEVEL,
    limits: {
      maxQueryNodes: e.MAX_QUERY_NODES,
      admission: { maxNodes: e.ADMISSION_MAX_NODES, maxNodesPerOrg: admissionPerOrg },
      rate:
        e.RATE_LIMIT === 'off'
          ? undefined
          : {
              orgPoints: e.RATE_LIMIT_ORG_POINTS,
              userPoints: e.RATE_LIMIT_USER_POINTS,
              badTokensPerAddress: e.RATE_LIMIT_BAD_TOKENS,
              earlyRefusalDelayMs: e.RATE_LIMIT_EARLY_DELAY_MS,
            },
      trustedProxyHops: e.TRUSTED_PROXY_HOPS,
    },
    database: {
      adminUrl: local ? e.DATABASE_URL : undefined,
      embedded: local && !e.DATABASE_URL,
      apiUrl: e.API_DATABASE_URL,
      workerUrl: e.WORKER_DATABASE_URL,
      migrationUrl: e.MIGRATION_DATABASE_URL,
      pooler: e.DB_POOLER,
      directUrl: e.DIRECT_DATABASE_URL,
      readUrl: e.READ_DATABASE_URL,
      replicaMaxLagMs: e.READ_REPLICA_MAX_LAG_MS,
      poolMax: e.DB_POOL_MAX,
      poolMaxPerOrg,
      poolFair: e.DB_POOL_FAIR === 'on',
      connectionTimeoutMs: e.DB_CONNECTION_TIMEOUT_MS,
      idleTimeoutMs: e.DB_IDLE_TIMEOUT_MS,
      statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
      embeddedPort: e.EMBEDDED_PG_PORT,
      embeddedDir: e.EMBEDDED_PG_DIR,
    },
    auth,
    worker: {
      concurrency: e.WORKER_CONCURRENCY,
      pollIntervalMs: e.WORKER_POLL_INTERVAL_MS,
      localQueueSize: e.WORKER_LOCAL_QUEUE_SIZE,
      poolMax: e.WORKER_POOL_MAX ?? e.WORKER_CONCURRENCY + 2,
      heartbeatMs: e.WORKER_HEARTBEAT_MS,
      staleAfterMs: e.WORKER_STALE_AFTER_MS,
      reconnectTimeoutMs: e.WORKER_RECONNECT_TIMEOUT_MS,
      healthPort: e.WORKER_HEALTH_PORT,
      stageDurationMs: e.JOB_STAGE_DURATION_MS,
    },
    metrics: { apiPort: e.METRICS_PORT, workerPort: workerMetricsPort },
    jobs: { maxActivePerOrg: e.JOBS_MAX_ACTIVE_PER_ORG, maxAttempts: e.JOBS_MAX_ATTEMPTS },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    tracing,
  };
}

/**
 * The configuration of the README's own local commands (`npm start`, `npm run
 * token`): local mode unless HEIMDEX_ENV says otherwise, and with dev
 * authentication the built-in secret unless DEV_JWT_SECRET is set.
 */
export function loadLocalConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const env: NodeJS.ProcessEnv = { HEIMDEX_ENV: 'local', ...source };
  if (env.HEIMDEX_ENV === 'local' && (env.AUTH_PROVIDER ?? 'dev') === 'dev') {
    env.DEV_JWT_SECRET ??= LOCAL_DEV_JWT_SECRET;
  }
  return loadConfig(env);
}

/** `postgres://heimdex:secret@host/db` -> `postgres://heimdex:***@host/db`. */
export function maskUrl(value: string | undefined): string | undefined {
  if (!value) return value;
  try {
    const parsed = new URL(value);
    if (parsed.password) parsed.password = '***';
    for (const key of [...parsed.searchParams.keys()]) {
      if (/pass|secret|key|token/i.test(key)) parsed.searchParams.set(key, '***');
    }
    return parsed.toString();
  } catch {
    return '***';
  }
}

/** What start-up logs: every setting, with secrets left out and URL passwords masked. */
export function summarizeConfig(config: Config): Record<string, unknown> {
  const { database, auth } = config;
  return {
    env: config.env,
    version: config.version,
    http: config.http,
    websocket: config.websocket,
    logLevel: config.logLevel,
    limits: config.limits,
    database: {
      ...database,
      adminUrl: maskUrl(database.adminUrl),
      apiUrl: maskUrl(database.apiUrl),
      workerUrl: maskUrl(database.workerUrl),
      migrationUrl: maskUrl(database.migrationUrl),
      directUrl: maskUrl(database.directUrl),
      readUrl: maskUrl(database.readUrl),
    },
    auth:
      auth.provider === 'dev'
        ? { ...auth, secret: '[set]' }
        : { ...auth, jwksUrl: maskUrl(auth.jwksUrl) },
    worker: config.worker,
    metrics: config.metrics,
    jobs: config.jobs,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    // Header values often carry a collector's key.
    tracing: config.tracing
      ? {
          ...config.tracing,
          url: maskUrl(config.tracing.url),
          headers: Object.fromEntries(Object.keys(config.tracing.headers).map((k) => [k, '[set]'])),
        }
      : 'off',
  };
}

/**
 * Validates other settings of ours (tests', benchmarks') with the same
 * validators and the same error report: the environment is still read only here.
 */
export function loadSettings<S>(specs: S, source: NodeJS.ProcessEnv = process.env): CleanedEnv<S> {
  return cleanEnv(source, specs, { reporter: reportErrors });
}
