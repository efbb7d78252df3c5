import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfigError,
  loadConfig,
  loadLocalConfig,
  maskUrl,
  summarizeConfig,
} from '../../runtime/config.js';
import { loadBenchSettings } from '../../bench/benchSettings.js';
import { readReplicaUrl, roleUrl } from '../../runtime/db/roleUrls.js';

const SECRET = 'x'.repeat(32);
const PROD_DB = {
  API_DATABASE_URL: 'postgres://heimdex_authenticator:api-pass@db/heimdex',
  WORKER_DATABASE_URL: 'postgres://heimdex_worker:worker-pass@db/heimdex',
  MIGRATION_DATABASE_URL: 'postgres://heimdex_owner:owner-pass@db/heimdex',
};
const JWKS = {
  AUTH_PROVIDER: 'jwks',
  JWKS_URL: 'https://auth.example.com/.well-known/jwks.json',
  AUTH_ISSUER: 'https://auth.example.com/',
  AUTH_AUDIENCE: 'heimdex',
};

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `ConfigError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  it('with HEIMDEX_ENV unset runs as prod: no dev authentication, a key set required', () => {
    const message = configError({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/heimdex' });
    assert.match(message, /JWKS_URL: missing/);
    assert.match(message, /DATABASE_URL: only used in local mode/);
    assert.equal(loadConfig({ ...PROD_DB, ...JWKS }).env, 'prod');
  });

  it('local mode: embedded database and dev auth, with the secret it is given', () => {
    const config = loadConfig({ HEIMDEX_ENV: 'local', DEV_JWT_SECRET: SECRET });
    assert.equal(config.env, 'local');
    assert.equal(config.database.embedded, true);
    assert.deepEqual(
      config.auth.provider === 'dev' && config.auth.secret,
      SECRET,
      'the secret given, never a built-in one',
    );
  });

  it('uses the built-in dev secret only for the local commands (npm start, npm run token)', () => {
    assert.match(configError({ HEIMDEX_ENV: 'local' }), /DEV_JWT_SECRET: missing/);
    const local = loadLocalConfig({});
    assert.equal(local.env, 'local');
    assert.equal(local.auth.provider, 'dev');
    const own = loadLocalConfig({ DEV_JWT_SECRET: SECRET });
    assert.equal(own.auth.provider === 'dev' && own.auth.secret, SECRET);
    // Told another environment, the local commands get no secret and no dev auth.
    assert.match(
      configError({ ...PROD_DB, HEIMDEX_ENV: 'prod', AUTH_PROVIDER: 'dev' }),
      /AUTH_PROVIDER: "dev".*refused/,
    );
    assert.throws(() => loadLocalConfig({ HEIMDEX_ENV: 'prod' }), ConfigError);
  });

  for (const host of ['0.0.0.0', '::', '10.0.0.5', 'heimdex.internal']) {
    it(`refuses dev authentication listening on ${host} (not loopback)`, () => {
      const message = configError({ HEIMDEX_ENV: 'local', DEV_JWT_SECRET: SECRET, HOST: host });
      assert.match(message, /HOST: dev authentication .* loopback only/);
    });
  }

  it('allows dev authentication on every loopback address', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]']) {
      assert.equal(
        loadConfig({ HEIMDEX_ENV: 'local', DEV_JWT_SECRET: SECRET, HOST: host }).http.host,
        host,
      );
    }
  });

  it('reads AUTH_MAX_TOKEN_AGE as a duration, 24 h unless set', () => {
    const age = (value?: string) =>
      loadConfig({ ...PROD_DB, ...JWKS, ...(value && { AUTH_MAX_TOKEN_AGE: value }) }).auth
        .maxTokenAgeS;
    assert.equal(age(), 86_400);
    assert.deepEqual([age('600'), age('90m'), age('2h'), age('7d')], [600, 5_400, 7_200, 604_800]);
    assert.match(
      configError({ ...PROD_DB, ...JWKS, AUTH_MAX_TOKEN_AGE: 'forever' }),
      /AUTH_MAX_TOKEN_AGE: must be a duration/,
    );
  });

  it('uses DATABASE_URL instead of the embedded server when set', () => {
    const config = loadConfig({
      HEIMDEX_ENV: 'local',
      DEV_JWT_SECRET: SECRET,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/heimdex',
    });
    assert.equal(config.database.embedded, false);
    assert.equal(config.database.adminUrl, 'postgres://postgres@127.0.0.1:5432/heimdex');
  });

  for (const env of ['dev', 'staging', 'prod']) {
    it(`refuses the HS256 dev provider when HEIMDEX_ENV=${env}`, () => {
      const message = configError({
        HEIMDEX_ENV: env,
        AUTH_PROVIDER: 'dev',
        DEV_JWT_SECRET: SECRET,
        ...PROD_DB,
      });
      assert.match(message, /AUTH_PROVIDER: "dev".*refused.*set AUTH_PROVIDER=jwks/);
    });
  }

  it('defaults to jwks outside local mode and requires its URL, issuer and audience', () => {
    const message = configError({ HEIMDEX_ENV: 'prod', ...PROD_DB });
    for (const name of ['JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE']) {
      assert.match(message, new RegExp(`${name}: missing`));
    }
  });

  it('requires https for the key set outside local mode', () => {
    const message = configError({
      HEIMDEX_ENV: 'prod',
      ...PROD_DB,
      ...JWKS,
      JWKS_URL: 'http://auth.example.com/jwks',
    });
    assert.match(message, /JWKS_URL: must use https/);
  });

  it('accepts a complete production configuration', () => {
    const config = loadConfig({ HEIMDEX_ENV: 'prod', ...PROD_DB, ...JWKS });
    assert.equal(config.auth.provider, 'jwks');
    assert.equal(config.database.embedded, false);
    assert.equal(config.database.adminUrl, undefined);
  });

  it('refuses a dev secret shorter than 32 bytes, naming the variable', () => {
    const message = configError({ HEIMDEX_ENV: 'local', DEV_JWT_SECRET: 'short' });
    assert.match(message, /DEV_JWT_SECRET: must be at least 32 bytes/);
  });

  it('names every invalid variable at once', () => {
    const message = configError({ HEIMDEX_ENV: 'production', PORT: 'eighty', LOG_LEVEL: 'loud' });
    for (const name of ['HEIMDEX_ENV', 'PORT', 'LOG_LEVEL'])
      assert.match(message, new RegExp(name));
  });

  it('gives one org half the API pool unless DB_POOL_MAX_PER_ORG says otherwise, at least 1', () => {
    const local = (env: Record<string, string>) =>
      loadConfig({ HEIMDEX_ENV: 'local', DEV_JWT_SECRET: SECRET, ...env }).database;
    assert.deepEqual(
      [local({}), local({ DB_POOL_MAX: '1' }), local({ DB_POOL_MAX: '7' })].map(
        (db) => db.poolMaxPerOrg,
      ),
      [5, 1, 3],
    );
    assert.equal(local({ DB_POOL_MAX_PER_ORG: '10' }).poolMaxPerOrg, 10);
    assert.equal(local({}).poolFair, true);
    assert.equal(local({ DB_POOL_FAIR: 'off' }).poolFair, false);
    for (const value of ['0', '11', '2.5']) {
      assert.match(
        configError({ HEIMDEX_ENV: 'local', DEV_JWT_SECRET: SECRET, DB_POOL_MAX_PER_ORG: value }),
        /DB_POOL_MAX_PER_ORG: must be a whole number from 1 to DB_POOL_MAX/,
      );
    }
  });

  it('refuses DB_POOL_FAIR=off (the plain FIFO pool) outside local mode', () => {
    assert.match(
      configError({ HEIMDEX_ENV: 'prod', ...PROD_DB, ...JWKS, DB_POOL_FAIR: 'off' }),
      /DB_POOL_FAIR: "off" is for benchmarks only and refused when HEIMDEX_ENV=prod/,
    );
  });

  it('refuses a non-postgres database URL', () => {
    assert.match(
      configError({ DATABASE_URL: 'mysql://x@y/z' }),
      /DATABASE_URL: must be a postgres/,
    );
  });
});

describe('browser origins (CORS_ORIGINS, WS_ALLOWED_ORIGINS)', () => {
  const LOCAL = { HEIMDEX_ENV: 'local', DEV_JWT_SECRET: SECRET };
  const PROD = { HEIMDEX_ENV: 'prod', ...PROD_DB, ...JWKS };

  it('local mode: any port of localhost and 127.0.0.1, for HTTP and WebSockets alike', () => {
    const config = loadConfig(LOCAL);
    assert.deepEqual(config.http.corsOrigins, ['http://localhost:*', 'http://127.0.0.1:*']);
    assert.deepEqual(config.websocket.allowedOrigins, config.http.corsOrigins);
  });

  it('elsewhere: none unless listed', () => {
    const config = loadConfig(PROD);
    assert.deepEqual(config.http.corsOrigins, []);
    assert.deepEqual(config.websocket.allowedOrigins, []);
  });

  it('WebSockets take the CORS list unless WS_ALLOWED_ORIGINS says otherwise', () => {
    const listed = loadConfig({
      ...PROD,
      CORS_ORIGINS: 'https://App.example.com/, https://b.example.com',
    });
    assert.deepEqual(listed.http.corsOrigins, ['https://app.example.com', 'https://b.example.com']);
    assert.deepEqual(listed.websocket.allowedOrigins, listed.http.corsOrigins);
    const apart = loadConfig({
      ...PROD,
      CORS_ORIGINS: 'https://a.example.com',
      WS_ALLOWED_ORIGINS: '*',
    });
    assert.equal(apart.websocket.allowedOrigins, '*');
    assert.deepEqual(apart.http.corsOrigins, ['https://a.example.com']);
  });

  it('refuses * and anything that is not an origin in CORS_ORIGINS', () => {
    for (const value of [
      '*',
      'https://a.example.com/app',
      'app.example.com',
      'https://u:p@a.example.com',
      'file:///x',
    ]) {
      assert.match(
        configError({ ...PROD, CORS_ORIGINS: value }),
        /CORS_ORIGINS: each entry must be an origin/,
        value,
      );
    }
    assert.match(
      configError({ ...PROD, WS_ALLOWED_ORIGINS: 'https://a.example.com/x' }),
      /WS_ALLOWED_ORIGINS: each entry/,
    );
  });
});

describe('the GraphQL IDE (IDE)', () => {
  const PROD = { ...PROD_DB, ...JWKS };

  it('is on in local mode and off elsewhere unless asked', () => {
    assert.equal(loadConfig({ HEIMDEX_ENV: 'local', DEV_JWT_SECRET: SECRET }).http.ide, true);
    assert.equal(
      loadConfig({ HEIMDEX_ENV: 'local', DEV_JWT_SECRET: SECRET, IDE: 'off' }).http.ide,
      false,
    );
    for (const env of ['dev', 'staging', 'prod']) {
      assert.equal(loadConfig({ HEIMDEX_ENV: env, ...PROD }).http.ide, false, env);
    }
  });

  it('IDE=on is allowed in dev deployments only', () => {
    assert.equal(loadConfig({ HEIMDEX_ENV: 'dev', ...PROD, IDE: 'on' }).http.ide, true);
    for (const env of ['staging', 'prod']) {
      assert.match(
        configError({ HEIMDEX_ENV: env, ...PROD, IDE: 'on' }),
        new RegExp(
          `IDE: "on" is for local and dev deployments only, refused when HEIMDEX_ENV=${env}`,
        ),
      );
    }
  });
});

describe('metrics ports (METRICS_PORT, WORKER_METRICS_PORT)', () => {
  const LOCAL = { HEIMDEX_ENV: 'local', DEV_JWT_SECRET: SECRET };

  it('none unless asked; the worker uses METRICS_PORT unless given its own', () => {
    assert.deepEqual(loadConfig(LOCAL).metrics, { apiPort: undefined, workerPort: undefined });
    assert.deepEqual(loadConfig({ ...LOCAL, METRICS_PORT: '9464' }).metrics, {
      apiPort: 9464,
      workerPort: 9464,
    });
    assert.deepEqual(
      loadConfig({ ...LOCAL, METRICS_PORT: '9464', WORKER_METRICS_PORT: '9465' }).metrics,
      { apiPort: 9464, workerPort: 9465 },
    );
  });

  it('never the public port, nor the worker health port', () => {
    assert.match(
      configError({ ...LOCAL, PORT: '4000', METRICS_PORT: '4000' }),
      /METRICS_PORT: must not be PORT/,
    );
    assert.match(
      configError({ ...LOCAL, PORT: '4000', WORKER_METRICS_PORT: '4000' }),
      /WORKER_METRICS_PORT: must not be PORT/,
    );
    assert.match(
      configError({ ...LOCAL, METRICS_PORT: '9464', WORKER_HEALTH_PORT: '9464' }),
      /WORKER_METRICS_PORT: must not be the worker's health port/,
    );
  });
});

describe('the config summary', () => {
  it('masks passwords in URLs and leaves secrets out', () => {
    const config = loadConfig({
      HEIMDEX_ENV: 'local',
      DEV_JWT_SECRET: 'super-secret-value-that-is-long-enough!!',
    });
    const text = JSON.stringify(summarizeConfig(config));
    assert.doesNotMatch(text, /super-secret-value/);

    const prod = loadConfig({ HEIMDEX_ENV: 'prod', ...PROD_DB, ...JWKS });
    const prodText = JSON.stringify(summarizeConfig(prod));
    for (const pass of ['api-pass', 'worker-pass', 'owner-pass'])
      assert.doesNotMatch(prodText, new RegExp(pass));
    assert.match(prodText, /heimdex_authenticator:\*\*\*@db/);
  });

  it('maskUrl hides the password and secret-like query parameters', () => {
    assert.equal(maskUrl('postgres://heimdex:secret@host/db'), 'postgres://heimdex:***@host/db');
    assert.equal(
      maskUrl('postgres://host/db?sslpassword=abc&sslmode=require'),
      'postgres://host/db?sslpassword=***&sslmode=require',
    );
  });
});

describe('per-process database URLs', () => {
  it('outside local mode a process needs only its own URL', () => {
    const config = loadConfig({
      HEIMDEX_ENV: 'prod',
      ...JWKS,
      API_DATABASE_URL: PROD_DB.API_DATABASE_URL,
    });
    assert.equal(roleUrl(config.database, 'api'), PROD_DB.API_DATABASE_URL);
    assert.throws(
      () => roleUrl(config.database, 'worker'),
      (err: unknown) =>
        err instanceof ConfigError && /WORKER_DATABASE_URL: missing/.test(err.message),
    );
  });

  it('local mode derives each role from DATABASE_URL with its password', () => {
    const config = loadConfig({
      HEIMDEX_ENV: 'local',
      DEV_JWT_SECRET: SECRET,
      DATABASE_URL: 'postgres://postgres:pw@127.0.0.1:5432/heimdex',
    });
    assert.equal(
      roleUrl(config.database, 'worker'),
      'postgres://heimdex_worker:pw@127.0.0.1:5432/heimdex',
    );
  });
});

describe('benchmark settings', () => {
  it('one round of 5,000 jobs over 50 orgs unless told otherwise', () => {
    assert.deepEqual(loadBenchSettings({}), {
      databaseUrl: undefined,
      jobs: 5_000,
      orgs: 50,
      rounds: 1,
      notifyOff: false,
    });
    assert.equal(loadBenchSettings({ BENCH_ROUNDS: '3' }).rounds, 3);
  });

  it('refuses rounds that are not a whole number of at least one', () => {
    for (const rounds of ['0', '-1', '1.5']) {
      assert.throws(
        () => loadBenchSettings({ BENCH_ROUNDS: rounds }),
        (err: unknown) => err instanceof ConfigError && /BENCH_ROUNDS/.test(err.message),
        rounds,
      );
    }
  });

  it('takes READ_DATABASE_URL as is outside local mode, and derives the API role from it in local mode', () => {
    const replica = 'postgres://heimdex_authenticator:api-pass@replica/heimdex';
    const prod = loadConfig({
      HEIMDEX_ENV: 'prod',
      ...JWKS,
      ...PROD_DB,
      READ_DATABASE_URL: replica,
    });
    assert.equal(readReplicaUrl(prod.database), replica);
    assert.match(JSON.stringify(summarizeConfig(prod)), /heimdex_authenticator:\*\*\*@replica/);
    const local = loadConfig({
      HEIMDEX_ENV: 'local',
      DEV_JWT_SECRET: SECRET,
      DATABASE_URL: 'postgres://postgres:pw@127.0.0.1:5432/heimdex',
      READ_DATABASE_URL: 'postgres://postgres@127.0.0.1:5433/heimdex',
    });
    assert.equal(
      readReplicaUrl(local.database),
      'postgres://heimdex_authenticator:pw@127.0.0.1:5433/heimdex',
    );
    assert.equal(
      readReplicaUrl(loadConfig({ HEIMDEX_ENV: 'prod', ...JWKS, ...PROD_DB }).database),
      undefined,
    );
    assert.match(
      configError({ HEIMDEX_ENV: 'prod', ...JWKS, ...PROD_DB, READ_REPLICA_MAX_LAG_MS: '-1' }),
      /READ_REPLICA_MAX_LAG_MS: must be/,
    );
  });
});

describe('tracing (OTEL_*)', () => {
  const LOCAL = { HEIMDEX_ENV: 'local', DEV_JWT_SECRET: SECRET };

  it('is off unless an endpoint is set, and off with OTEL_SDK_DISABLED whatever else is', () => {
    assert.equal(loadConfig(LOCAL).tracing, undefined);
    assert.equal(
      loadConfig({
        ...LOCAL,
        OTEL_SDK_DISABLED: 'true',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      }).tracing,
      undefined,
    );
    assert.equal(summarizeConfig(loadConfig(LOCAL)).tracing, 'off');
  });

  it('takes the standard variables, the traces-specific ones winning', () => {
    const base = loadConfig({ ...LOCAL, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' });
    assert.deepEqual(base.tracing, {
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      headers: {},
      timeoutMs: 10_000,
      compression: 'none',
      serviceName: undefined,
      resourceAttributes: {},
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
      batch: {
        scheduleDelayMs: 5_000,
        exportTimeoutMs: 30_000,
        maxQueueSize: 2_048,
        maxBatchSize: 512,
      },
    });
    const specific = loadConfig({
      ...LOCAL,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/api/traces',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-key=general,x-team=core',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-key=for%20traces',
      OTEL_EXPORTER_OTLP_TIMEOUT: '3000',
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '2000',
      OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'gzip',
      OTEL_SERVICE_NAME: 'heimdex-eu',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=staging',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0',
    }).tracing;
    assert.equal(specific?.url, 'https://traces.example.com/api/traces');
    assert.equal(specific?.protocol, 'http/json');
    assert.deepEqual(specific?.headers, { 'x-key': 'for traces', 'x-team': 'core' });
    assert.equal(specific?.timeoutMs, 2000);
    assert.equal(specific?.compression, 'gzip');
    assert.equal(specific?.serviceName, 'heimdex-eu');
    assert.deepEqual(specific?.resourceAttributes, { 'deployment.environment': 'staging' });
    assert.equal(specific?.samplerRatio, 0, 'configured but not sampled');
  });

  it('refuses what the SDK would silently ignore or misread', () => {
    const on = { ...LOCAL, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    for (const [name, value, message] of [
      ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318', /OTEL_EXPORTER_OTLP_ENDPOINT/],
      ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc', /OTEL_EXPORTER_OTLP_PROTOCOL/],
      [
        'OTEL_EXPORTER_OTLP_HEADERS',
        'no-equals-sign',
        /OTEL_EXPORTER_OTLP_HEADERS: must be a list/,
      ],
      ['OTEL_EXPORTER_OTLP_TRACES_HEADERS', 'k=%E0%A4%A', /not valid percent-encoding/],
      ['OTEL_TRACES_SAMPLER', 'sometimes', /OTEL_TRACES_SAMPLER/],
      ['OTEL_TRACES_SAMPLER_ARG', '1.5', /OTEL_TRACES_SAMPLER_ARG: must be from 0 to 1/],
      ['OTEL_EXPORTER_OTLP_TIMEOUT', '0', /OTEL_EXPORTER_OTLP_TIMEOUT: must be a whole number/],
      ['OTEL_BSP_MAX_EXPORT_BATCH_SIZE', '5000', /must not exceed OTEL_BSP_MAX_QUEUE_SIZE/],
      ['OTEL_EXPORTER_OTLP_COMPRESSION', 'brotli', /OTEL_EXPORTER_OTLP_COMPRESSION/],
    ] as const) {
      assert.match(configError({ ...on, [name]: value }), message, `${name}=${value}`);
    }
  });

  it('the summary hides header values and URL passwords', () => {
    const config = loadConfig({
      ...LOCAL,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://user:pw-secret@collector.example.com',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=key-secret',
    });
    const text = JSON.stringify(summarizeConfig(config));
    assert.doesNotMatch(text, /key-secret|pw-secret/);
    assert.match(text, /"api-key":"\[set\]"/);
  });
});
