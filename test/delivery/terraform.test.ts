/**
 * infra/ parsed with HashiCorp's HCL parser and held to the security posture:
 * private ingress, the image's non-root user, least-privilege identities,
 * secrets only by reference, and the guards on environment and auth.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIG_VARIABLES, DB_POOLERS, loadConfig } from '../../runtime/config.js';
import { localEnv } from '../support/localEnv.js';
import { ENTRY_POINTS, assertEntryPointExists, readProjectFile } from './projectFiles.js';
import {
  type Body,
  allStrings,
  child,
  cloudRunModule,
  locals,
  moduleCall,
  outputs,
  resource,
  resources,
  resourcesOfType,
  root,
  tfFiles,
  variables,
} from './terraformModel.js';

const SECRET_NAME = /URL|SECRET|PASSWORD|TOKEN|KEY/i;
/** The three processes: arguments of their calls of modules/cloud_run. */
const calls = {
  api: moduleCall('api'),
  worker: moduleCall('worker'),
  migrate: moduleCall('migrate'),
};
const { api, worker } = calls;
/** The module's two resources and their containers. */
const moduleService = resource('google_cloud_run_v2_service', 'this');
const moduleJob = resource('google_cloud_run_v2_job', 'this');
const moduleContainers = {
  service: child(moduleService, 'template', 'containers'),
  job: child(moduleJob, 'template', 'template', 'containers'),
};

/** `${local.commands.api}` -> `dist/server/bin/api.js` */
function resolveCommand(expression: string): string {
  const key = /^\$\{local\.commands\.(\w+)\}$/.exec(expression)?.[1];
  const commands = locals.commands as Record<string, string>;
  assert.ok(key && commands[key], `${expression} names a command in local.commands`);
  return commands[key];
}

const commonEnv = locals.common_env as Record<string, string>;

/** The plain settings a call passes as `env`: common_env's names, and the names it sets itself. */
function plainEnvNames(call: Body): string[] {
  const env = call.env as string | Record<string, string>;
  if (typeof env !== 'string') return Object.keys(env);
  return [
    ...(env.includes('local.common_env') ? Object.keys(commonEnv) : []),
    ...(env.includes('local.pooler_env') ? ['DB_POOLER'] : []),
    ...[...env.matchAll(/\b([A-Z][A-Z0-9_]+)\s*=/g)].map((m) => m[1]!),
  ];
}

/**
 * [variable, database role] for each `secret_env` entry, which must all be
 * database URL secrets: a literal map, or a merge of one with the managed
 * pooler's direct URL (role suffixed " direct").
 */
function databaseUrlEnv(call: Body): string[][] {
  const secretEnv = call.secret_env as string | Record<string, string>;
  const text =
    typeof secretEnv === 'string'
      ? secretEnv
      : Object.entries(secretEnv)
          .map(([name, secret]) => `${name} = ${secret.replace(/^\$\{|\}$/g, '')}`)
          .join('\n');
  const pairs = [
    ...text.matchAll(
      /\b([A-Z][A-Z0-9_]+) = google_secret_manager_secret\.database_url\["(\w+)"\]\.secret_id/g,
    ),
  ].map((m) => [m[1]!, m[2]!]);
  const direct = [
    ...text.matchAll(
      /for role, secret in google_secret_manager_secret\.database_url_direct : "(DIRECT_DATABASE_URL)" => secret\.secret_id if role == "(\w+)"/g,
    ),
  ].map((m) => [m[1]!, `${m[2]!} direct`]);
  const names = [...text.matchAll(/\b([A-Z][A-Z0-9_]+)"? =/g)].map((m) => m[1]!);
  assert.deepEqual(
    [...new Set(names)].sort(),
    [...pairs, ...direct].map((p) => p[0]).sort(),
    `every secret_env entry is a database URL: ${text}`,
  );
  return [...pairs, ...direct].sort((a, b) => (a[0]! + a[1]!).localeCompare(b[0]! + b[1]!));
}

/** A module's `dynamic "name"` block. */
const dynamicBlock = (body: Body, name: string): Body =>
  ((body.dynamic as Record<string, Body[]> | undefined)?.[name] ?? [])[0]!;

describe('infra/ (Terraform)', () => {
  it('parses every .tf file', () => {
    assert.ok(tfFiles.length >= 8, `found ${tfFiles.join(', ')}`);
  });

  it('makes the API, the worker and the migrations of one module, keeping their state (moved blocks)', () => {
    for (const [name, call] of Object.entries(calls)) {
      assert.equal(call.source, './modules/cloud_run', name);
      assert.equal(call.name, `\${local.prefix}-${name}`);
      assert.equal(call.image, '${var.image}');
      assert.equal(call.service_account, `\${google_service_account.runtime["${name}"].email}`);
      assert.ok(
        (call.service === undefined) !== (call.job === undefined),
        `${name}: service or job`,
      );
    }
    assert.ok(calls.migrate.job && !calls.migrate.service);
    assert.equal(moduleService.count, '${var.service == null ? 0 : 1}');
    assert.equal(moduleJob.count, '${var.job == null ? 0 : 1}');
    // Before the module these were root resources: `moved` keeps them (no destroy and create).
    const moved = root.moved.map((m) => [m.from, m.to]);
    assert.deepEqual(moved.sort(), [
      ['${google_cloud_run_v2_job.migrate}', '${module.migrate.google_cloud_run_v2_job.this[0]}'],
      ['${google_cloud_run_v2_service.api}', '${module.api.google_cloud_run_v2_service.this[0]}'],
      [
        '${google_cloud_run_v2_service.worker}',
        '${module.worker.google_cloud_run_v2_service.this[0]}',
      ],
    ]);
    assert.deepEqual(
      root.resources.filter(
        (r) => r.type.startsWith('google_cloud_run_v2_') && !r.type.endsWith('_iam_member'),
      ),
      [],
      'no Cloud Run service or job outside the module',
    );
  });

  it('gives every process private egress, an in-memory /tmp and its secrets as files by reference', () => {
    for (const template of [
      child(moduleService, 'template'),
      child(moduleJob, 'template', 'template'),
    ]) {
      const vpc = child(template, 'vpc_access');
      assert.equal(vpc.egress, 'PRIVATE_RANGES_ONLY');
      assert.deepEqual(template.volumes, [
        { name: 'tmp', empty_dir: [{ medium: 'MEMORY', size_limit: '64Mi' }] },
      ]);
      const secretVolume = dynamicBlock(template, 'volumes');
      assert.equal(secretVolume.for_each, '${var.secret_files}');
      assert.equal(child(secretVolume, 'content', 'secret', 'items').version, 'latest');
    }
    for (const container of Object.values(moduleContainers)) {
      assert.equal(dynamicBlock(container, 'volume_mounts').for_each, '${var.secret_files}');
    }
    for (const [name, call] of Object.entries(calls)) {
      assert.match(String(call.secret_files), /local\.database_ca_files/, `${name} mounts the CA`);
    }
  });

  it('puts the API behind the internal load balancer, with /healthz and /readyz probes', () => {
    assert.equal(api.service.ingress, 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
    assert.equal(api.service.readiness_path, '/readyz');
    const c = moduleContainers.service;
    assert.equal(child(c, 'startup_probe', 'http_get').path, '${var.service.liveness_path}');
    assert.equal(child(c, 'liveness_probe', 'http_get').path, '${var.service.liveness_path}');
    assert.match(
      String(cloudRunModule.variables.get('service')?.type),
      /liveness_path\s*=\s*optional\(string, "\/healthz"\)/,
    );
    const readiness = dynamicBlock(c, 'readiness_probe');
    assert.match(String(readiness.for_each), /var\.service\.readiness_path == null \? \[\]/);
    assert.equal(child(readiness, 'content', 'http_get').path, '${readiness_probe.value}');
  });

  it('keeps the worker internal, without a URL, with CPU always allocated', () => {
    assert.equal(worker.service.ingress, 'INGRESS_TRAFFIC_INTERNAL_ONLY');
    assert.equal(worker.service.default_uri_disabled, true);
    assert.equal(worker.service.cpu_idle, false);
    assert.equal(worker.service.readiness_path, undefined);
    assert.equal(moduleService.default_uri_disabled, '${var.service.default_uri_disabled}');
    assert.equal(child(moduleContainers.service, 'resources').cpu_idle, '${var.service.cpu_idle}');
  });

  it('has the worker serve /healthz on its container port (WORKER_HEALTH_PORT) and probes it', () => {
    assert.equal(worker.service.port, '${local.container_port}');
    const c = moduleContainers.service;
    assert.equal(child(c, 'ports').container_port, '${var.service.port}');
    assert.match(String(worker.env), /WORKER_HEALTH_PORT = tostring\(local\.container_port\)/);
    for (const probe of ['startup_probe', 'liveness_probe']) {
      assert.equal(
        child(c, probe, 'http_get').port,
        undefined,
        `${probe} goes to the container port`,
      );
    }
    assert.equal(loadConfig(localEnv({ WORKER_HEALTH_PORT: '8080' })).worker.healthPort, 8080);
  });

  it('sizes both services from variables', () => {
    for (const [svc, call] of [
      ['api', api],
      ['worker', worker],
    ] as const) {
      assert.equal(call.service.min_instances, `\${var.${svc}.min_instances}`);
      assert.equal(call.service.max_instances, `\${var.${svc}.max_instances}`);
      assert.deepEqual([call.cpu, call.memory], [`\${var.${svc}.cpu}`, `\${var.${svc}.memory}`]);
    }
    assert.equal(api.service.concurrency, '${var.api.concurrency}');
    assert.equal(worker.service.concurrency, 1);
    const scaling = child(moduleService, 'template', 'scaling');
    assert.equal(scaling.min_instance_count, '${var.service.min_instances}');
    assert.equal(scaling.max_instance_count, '${var.service.max_instances}');
    for (const container of Object.values(moduleContainers)) {
      assert.deepEqual(child(container, 'resources').limits, {
        cpu: '${var.cpu}',
        memory: '${var.memory}',
      });
    }
  });

  it("runs the image's own entrypoint and user, with each process's command", () => {
    for (const [kind, c] of Object.entries(moduleContainers)) {
      assert.equal(
        c.command,
        undefined,
        `the module's ${kind} does not override the image entrypoint`,
      );
      assert.equal(c.image, '${var.image}');
      assert.deepEqual(c.args, ['${var.command}']);
    }
    for (const [name, call] of Object.entries(calls)) {
      assert.equal(resolveCommand(call.command), ENTRY_POINTS[name as keyof typeof ENTRY_POINTS]);
    }
  });

  it('leaves only the image (rolled out by CI) and client fields to drift', () => {
    for (const body of [moduleService, moduleJob]) {
      const ignored = (child(body, 'lifecycle').ignore_changes as string[]).map((e) =>
        e.replace(/^\$\{|\}$/g, ''),
      );
      assert.ok(ignored.some((e) => /containers\[0\]\.image$/.test(e)));
      const others = ignored.filter((e) => !/containers\[0\]\.image$|^client(_version)?$/.test(e));
      assert.deepEqual(others, []);
    }
  });

  for (const [name, distPath] of Object.entries(ENTRY_POINTS)) {
    it(`has the source of the ${name} command (${distPath})`, () =>
      assertEntryPointExists(distPath));
  }

  it('gives no credential as a plain value; the API and the worker get only their own database URL', () => {
    const expected = {
      // with the managed pooler, also their own role's direct URL (LISTEN)
      api: [
        ['API_DATABASE_URL', 'authenticator'],
        ['DIRECT_DATABASE_URL', 'authenticator direct'],
      ],
      worker: [
        ['DIRECT_DATABASE_URL', 'worker direct'],
        ['WORKER_DATABASE_URL', 'worker'],
      ],
      // migrate creates the other two roles and sets their passwords from their URLs
      migrate: [
        ['API_DATABASE_URL', 'authenticator'],
        ['MIGRATION_DATABASE_URL', 'owner'],
        ['WORKER_DATABASE_URL', 'worker'],
      ],
    };
    for (const [name, call] of Object.entries(calls)) {
      const secretNames = plainEnvNames(call).filter(
        (n) => SECRET_NAME.test(n) && n !== 'JWKS_URL',
      );
      assert.deepEqual(secretNames, [], `${name} has no secret-looking plain env`);
      assert.deepEqual(databaseUrlEnv(call), expected[name as keyof typeof expected], name);
    }
    // The module reads secret_env only as secret references.
    for (const container of Object.values(moduleContainers)) {
      const [plain, secret] = (container.dynamic.env as Body[]).map((d) => child(d, 'content'));
      assert.equal(plain!.value, '${env.value}');
      assert.equal((container.dynamic.env as Body[])[0]!.for_each, '${var.env}');
      assert.equal((container.dynamic.env as Body[])[1]!.for_each, '${var.secret_env}');
      assert.equal(secret!.value, undefined);
      assert.equal(child(secret!, 'value_source', 'secret_key_ref').secret, '${env.value}');
      assert.equal(container.env, undefined, 'every env comes from the two maps');
    }
    assert.deepEqual(locals.database_urls_of, {
      api: ['authenticator'],
      worker: ['worker'],
      migrate: ['owner', 'authenticator', 'worker'],
    });
    const access = resourcesOfType('google_secret_manager_secret_iam_member').find(
      (r) => r.name === 'database_url',
    )!;
    assert.equal(access.body.for_each, '${local.database_url_access}');
  });

  it('makes only the owner a Cloud SQL user; migrate makes the other login roles', () => {
    // Cloud SQL users join cloudsqlsuperuser (CREATEROLE, CREATEDB): never the authenticator.
    const users = resourcesOfType('google_sql_user');
    assert.deepEqual(
      users.map((u) => [u.name, u.body.name, u.body.for_each]),
      [['owner', '${local.database_roles.owner}', undefined]],
    );
    assert.equal((locals.database_roles as Body).owner, 'heimdex_owner');
    assert.equal(users[0]!.body.password, '${random_password.database["owner"].result}');
  });

  it('grants secret access per secret, never project-wide', () => {
    const accessors = resourcesOfType('google_secret_manager_secret_iam_member');
    assert.deepEqual(accessors.map((a) => a.name).sort(), [
      'database_ca',
      'database_url',
      'database_url_direct',
      'persisted_operations',
    ]);
    for (const a of accessors) assert.equal(a.body.role, 'roles/secretmanager.secretAccessor');
    const projectRoles = resourcesOfType('google_project_iam_member').map((r) => r.body);
    for (const binding of projectRoles) {
      assert.equal(binding.role, 'roles/cloudsql.client');
      assert.match(
        child(binding, 'condition').expression,
        /google_sql_database_instance\.main\.name/,
      );
    }
  });

  it('has no owner/editor roles, no public members and no service-account keys', () => {
    const strings = allStrings();
    for (const bad of ['roles/owner', 'roles/editor', 'allUsers', 'allAuthenticatedUsers']) {
      assert.deepEqual(
        strings.filter((s) => s.value.includes(bad)),
        [],
        bad,
      );
    }
    assert.deepEqual(resourcesOfType('google_service_account_key'), []);
    assert.deepEqual(resourcesOfType('google_project_iam_binding'), []);
    assert.deepEqual(resourcesOfType('google_project_iam_policy'), []);
  });

  it('lets CI in by Workload Identity Federation from one repository, for main and tags only', () => {
    const provider = resource('google_iam_workload_identity_pool_provider', 'github');
    assert.equal(child(provider, 'oidc').issuer_uri, 'https://token.actions.githubusercontent.com');
    const condition = String(provider.attribute_condition);
    assert.match(condition, /^assertion\.repository == "\$\{var\.github_repository\}" && /);
    assert.match(condition, /assertion\.ref == "refs\/heads\/main"/);
    assert.doesNotMatch(condition, /refs\/pull\//);
  });

  it('gives Cloud SQL a private IP only and requires TLS', () => {
    const db = resource('google_sql_database_instance', 'main');
    const ip = child(db, 'settings', 'ip_configuration');
    assert.equal(ip.ipv4_enabled, false);
    assert.equal(ip.private_network, '${google_compute_network.main.id}');
    assert.equal(ip.ssl_mode, 'ENCRYPTED_ONLY');
    for (const version of ['database_url', 'database_url_direct']) {
      const data = resource('google_secret_manager_secret_version', version).secret_data as string;
      assert.match(data, /^\$\{format\(local\.database_url_format, /, version);
    }
    assert.match(
      String(locals.database_url_format),
      /sslmode=verify-ca&uselibpqcompat=true&sslrootcert=/,
    );
  });

  it('never configures dev authentication: no DEV_JWT_SECRET, every token checked against the key set', () => {
    // The application refuses AUTH_PROVIDER=dev and DEV_JWT_SECRET unless
    // HEIMDEX_ENV=local, and no deployed environment is local.
    for (const file of tfFiles) {
      assert.doesNotMatch(readProjectFile('infra', file), /DEV_JWT_SECRET/, file);
    }
    assert.deepEqual(
      resources.filter((r) => /dev_jwt/.test(r.name)),
      [],
    );
    assert.equal(commonEnv.AUTH_PROVIDER, '${var.auth_provider}');
    assert.equal(commonEnv.JWKS_URL, '${var.jwks_url}');
    assert.equal(commonEnv.AUTH_ISSUER, '${var.auth_issuer}');
    assert.equal(commonEnv.AUTH_AUDIENCE, '${var.auth_audience}');
    for (const [name, call] of Object.entries(calls)) {
      const env = String(call.env);
      assert.ok(env.includes('local.common_env'), `${name} gets common_env`);
      const localsUsed = [...env.matchAll(/local\.(\w+)/g)].map((m) => m[1]);
      assert.ok(
        localsUsed.every((l) =>
          ['common_env', 'persisted_operations_env', 'pooler_env', 'container_port'].includes(l!),
        ),
        `${name} gets no other plain settings (${localsUsed.join(', ')})`,
      );
    }
  });

  it('validates the environment, the image and the auth settings, refusing dev auth with the reason', () => {
    const validations = (name: string): Body[] => (variables.get(name)?.validation ?? []) as Body[];
    const rules = (name: string): string =>
      validations(name)
        .map((v) => v.condition)
        .join('\n');
    assert.match(rules('environment'), /\["dev", "staging", "prod"\]/);
    assert.deepEqual(
      validations('auth_provider').map((v) => v.condition),
      ['${var.auth_provider == "jwks"}'],
    );
    assert.match(validations('auth_provider')[0]!.error_message, /unless HEIMDEX_ENV=local/);
    assert.match(rules('jwks_url'), /startswith\(var\.jwks_url, "https:\/\/"\)/);
    for (const name of ['jwks_url', 'auth_issuer', 'auth_audience']) {
      assert.equal(variables.get(name)?.default, undefined, `${name} is required`);
    }
    assert.match(rules('image'), /@sha256:/);
  });

  it('mounts the persisted-operations manifest into the API only when asked, and only the API may read it', () => {
    const rule = (variables.get('persisted_operations')?.validation as Body[])[0]!;
    assert.match(rule.condition, /\["off", "accept", "only"\]/);
    assert.equal(variables.get('persisted_operations')?.default, 'off');
    const env = String(locals.persisted_operations_env);
    assert.match(env, /var\.persisted_operations == "off" \? tomap\(\{\}\)/, 'off sets nothing');
    for (const name of ['PERSISTED_OPERATIONS_FILE', 'PERSISTED_OPERATIONS_ONLY']) {
      assert.match(env, new RegExp(`${name}\\s*=`));
      assert.ok((CONFIG_VARIABLES as readonly string[]).includes(name), name);
    }
    assert.match(
      env,
      /PERSISTED_OPERATIONS_ONLY\s*=\s*tostring\(var\.persisted_operations == "only"\)/,
    );
    const files = String(locals.persisted_operations_files);
    assert.match(
      files,
      /var\.persisted_operations == "off" \? tomap\(\{\}\)/,
      'off mounts nothing',
    );
    assert.match(files, /google_secret_manager_secret\.persisted_operations\.secret_id/);
    assert.match(String(api.secret_files), /local\.persisted_operations_files/);
    assert.match(String(api.env), /local\.persisted_operations_env/);
    for (const other of [worker, calls.migrate]) {
      assert.ok(!JSON.stringify(other).includes('persisted_operations'));
    }
    const access = resourcesOfType('google_secret_manager_secret_iam_member').find(
      (r) => r.name === 'persisted_operations',
    )!;
    assert.equal(access.body.member, '${google_service_account.runtime["api"].member}');
  });

  it('offers Cloud SQL Managed Connection Pooling in transaction mode, migrations and LISTEN staying direct', () => {
    const pooler = variables.get('pooler')!;
    assert.equal(pooler.default, 'none');
    const rules = (pooler.validation as Body[]).map((v) => String(v.condition)).join('\n');
    assert.match(rules, /\["none", "managed"\]/);
    assert.match(
      rules,
      /startswith\(var\.database\.tier, "db-perf-optimized-"\)/,
      'Enterprise Plus only',
    );
    const settings = child(resource('google_sql_database_instance', 'main'), 'settings');
    assert.equal(settings.edition, '${var.pooler == "managed" ? "ENTERPRISE_PLUS" : "ENTERPRISE"}');
    const pool = (settings.dynamic as Record<string, Body[]>).connection_pool_config![0]!;
    assert.equal(pool.for_each, '${var.pooler == "managed" ? [true] : []}');
    const content = child(pool, 'content');
    assert.equal(content.connection_pooling_enabled, true);
    assert.deepEqual(content.flags, [{ name: 'pool_mode', value: 'transaction' }]);
    // Which roles go through it, on which port; the app switches to unnamed statements.
    assert.equal(
      locals.pooled_roles,
      '${var.pooler == "managed" ? toset(["authenticator", "worker"]) : toset([])}',
    );
    assert.match(
      String(locals.database_ports),
      /contains\(local\.pooled_roles, role\) \? 6432 : 5432/,
    );
    assert.match(String(locals.pooler_env), /DB_POOLER = "transaction"/);
    assert.ok(DB_POOLERS.includes('transaction'));
    assert.match(String(api.env), /local\.pooler_env/);
    assert.match(String(worker.env), /local\.pooler_env/);
    assert.doesNotMatch(
      String(calls.migrate.env),
      /pooler_env/,
      'migrations never go through the pooler',
    );
    assert.equal(
      resource('google_secret_manager_secret_version', 'database_url_direct').secret_data,
      '${format(local.database_url_format, local.database_roles[each.key], urlencode(random_password.database[each.key].result), 5432)}',
    );
    const direct = resource('google_secret_manager_secret_iam_member', 'database_url_direct');
    assert.match(String(direct.for_each), /\{ api = "authenticator", worker = "worker" \}/);
    assert.equal(direct.member, '${google_service_account.runtime[each.key].member}');
  });

  it('outputs the service URL and what CI needs', () => {
    for (const name of ['api_url', 'workload_identity_provider', 'ci_service_account']) {
      assert.ok(outputs.has(name), name);
    }
  });
});
