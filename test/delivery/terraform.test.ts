/**
 * infra/ parsed with HashiCorp's HCL parser and held to the security posture:
 * private ingress, the image's non-root user, least-privilege identities,
 * secrets only by reference, and the guards on environment and auth.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIG_VARIABLES, loadConfig } from '../../runtime/config.js';
import { localEnv } from '../support/localEnv.js';
import { ENTRY_POINTS, assertEntryPointExists, readProjectFile } from './projectFiles.js';
import {
  type Body,
  allStrings,
  child,
  locals,
  outputs,
  resource,
  resources,
  resourcesOfType,
  tfFiles,
  variables,
} from './terraformModel.js';

const SECRET_NAME = /URL|SECRET|PASSWORD|TOKEN|KEY/i;
const api = resource('google_cloud_run_v2_service', 'api');
const worker = resource('google_cloud_run_v2_service', 'worker');
const migrate = resource('google_cloud_run_v2_job', 'migrate');
const containerOf = {
  api: child(api, 'template', 'containers'),
  worker: child(worker, 'template', 'containers'),
  migrate: child(migrate, 'template', 'template', 'containers'),
};

/** `${local.commands.api}` -> `dist/server/bin/api.js` */
function resolveCommand(expression: string): string {
  const key = /^\$\{local\.commands\.(\w+)\}$/.exec(expression)?.[1];
  const commands = locals.commands as Record<string, string>;
  assert.ok(key && commands[key], `${expression} names a command in local.commands`);
  return commands[key];
}

const commonEnv = locals.common_env as Record<string, string>;
const envBlocks = (container: Body): Body[] => (container.env ?? []) as Body[];
/** `dynamic "env"` blocks that set a plain value, or a secret reference. */
const dynamicEnv = (container: Body, kind: 'value' | 'value_source'): Body[] =>
  ((container.dynamic?.env ?? []) as Body[]).filter((d) => child(d, 'content')[kind] !== undefined);

/** Names set by `env { name, value }` blocks or by the keys of a dynamic env's map of values. */
function plainEnvNames(container: Body): string[] {
  const literal = envBlocks(container).filter((e) => e.value !== undefined);
  const keysOf = (forEach: string): string[] => [
    ...(forEach.includes('local.common_env') ? Object.keys(commonEnv) : []),
    ...[...forEach.matchAll(/\b([A-Z][A-Z0-9_]+)\s*=/g)].map((m) => m[1]!),
  ];
  return [
    ...literal.map((e) => String(e.name)),
    ...dynamicEnv(container, 'value').flatMap((d) => keysOf(String(d.for_each))),
  ];
}

/** [variable, database role] for each env that is a database URL secret reference. */
function databaseUrlEnv(container: Body): string[][] {
  const secretOf = (e: Body): string => child(e, 'value_source', 'secret_key_ref').secret;
  const literal = envBlocks(container)
    .filter((e) => e.value_source)
    .map((e) => {
      const role = /^\$\{google_secret_manager_secret\.database_url\["(\w+)"\]\.secret_id\}$/.exec(
        secretOf(e),
      )?.[1];
      assert.ok(role, `${e.name} refers to a database URL secret`);
      return [String(e.name), role];
    });
  const dynamic = dynamicEnv(container, 'value_source').flatMap((d) => {
    const content = child(d, 'content');
    assert.equal(content.name, '${env.key}');
    assert.equal(
      secretOf(content),
      '${google_secret_manager_secret.database_url[env.value].secret_id}',
    );
    return Object.entries(d.for_each as Record<string, string>);
  });
  return [...literal, ...dynamic].sort((a, b) => a[0]!.localeCompare(b[0]!));
}

describe('infra/ (Terraform)', () => {
  it('parses every .tf file', () => {
    assert.ok(tfFiles.length >= 8, `found ${tfFiles.join(', ')}`);
  });

  it('puts the API behind the internal load balancer, with /healthz and /readyz probes', () => {
    assert.equal(api.ingress, 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
    const c = containerOf.api;
    assert.equal(child(c, 'startup_probe', 'http_get').path, '/healthz');
    assert.equal(child(c, 'liveness_probe', 'http_get').path, '/healthz');
    assert.equal(child(c, 'readiness_probe', 'http_get').path, '/readyz');
  });

  it('keeps the worker internal, without a URL, with CPU always allocated', () => {
    assert.equal(worker.ingress, 'INGRESS_TRAFFIC_INTERNAL_ONLY');
    assert.equal(worker.default_uri_disabled, true);
    assert.equal(child(containerOf.worker, 'resources').cpu_idle, false);
  });

  it('has the worker serve /healthz on its container port (WORKER_HEALTH_PORT) and probes it', () => {
    const c = containerOf.worker;
    assert.equal(child(c, 'ports').container_port, '${local.container_port}');
    const [forEach] = dynamicEnv(c, 'value').map((d) => String(d.for_each));
    assert.match(forEach!, /WORKER_HEALTH_PORT = tostring\(local\.container_port\)/);
    for (const probe of ['startup_probe', 'liveness_probe']) {
      const get = child(c, probe, 'http_get');
      assert.equal(get.path, '/healthz', probe);
      assert.equal(get.port, undefined, `${probe} goes to the container port`);
    }
    assert.equal(loadConfig(localEnv({ WORKER_HEALTH_PORT: '8080' })).worker.healthPort, 8080);
  });

  it('sizes both services from variables', () => {
    for (const [svc, body] of [
      ['api', api],
      ['worker', worker],
    ] as const) {
      const scaling = child(body, 'template', 'scaling');
      assert.equal(scaling.min_instance_count, `\${var.${svc}.min_instances}`);
      assert.equal(scaling.max_instance_count, `\${var.${svc}.max_instances}`);
      const limits = child(body, 'template', 'containers', 'resources').limits as Body;
      assert.deepEqual(limits, { cpu: `\${var.${svc}.cpu}`, memory: `\${var.${svc}.memory}` });
    }
    assert.equal(child(api, 'template').max_instance_request_concurrency, '${var.api.concurrency}');
  });

  it("runs the image's own entrypoint and user, with each process's command", () => {
    for (const [name, c] of Object.entries(containerOf)) {
      assert.equal(c.command, undefined, `${name} does not override the image entrypoint`);
      assert.equal(c.image, '${var.image}');
      const args = c.args as string[];
      assert.equal(args.length, 1);
      assert.equal(resolveCommand(args[0]!), ENTRY_POINTS[name as keyof typeof ENTRY_POINTS]);
    }
  });

  it('leaves only the image (rolled out by CI) and client fields to drift', () => {
    for (const body of [api, worker, migrate]) {
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
      api: [['API_DATABASE_URL', 'authenticator']],
      worker: [['WORKER_DATABASE_URL', 'worker']],
      // migrate creates the other two roles and sets their passwords from their URLs
      migrate: [
        ['API_DATABASE_URL', 'authenticator'],
        ['MIGRATION_DATABASE_URL', 'owner'],
        ['WORKER_DATABASE_URL', 'worker'],
      ],
    };
    for (const [name, c] of Object.entries(containerOf)) {
      const secretNames = plainEnvNames(c).filter((n) => SECRET_NAME.test(n) && n !== 'JWKS_URL');
      assert.deepEqual(secretNames, [], `${name} has no secret-looking plain env`);
      assert.deepEqual(databaseUrlEnv(c), expected[name as keyof typeof expected], name);
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
    const url = resource('google_secret_manager_secret_version', 'database_url').secret_data;
    assert.match(url, /sslmode=verify-ca&uselibpqcompat=true&sslrootcert=/);
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
    for (const [name, c] of Object.entries(containerOf)) {
      const forEach = dynamicEnv(c, 'value').map((d) => String(d.for_each));
      assert.ok(
        forEach.some((f) => f.includes('local.common_env')),
        `${name} gets common_env`,
      );
      assert.ok(
        forEach.every((f) => /local\.(common_env|persisted_operations_env)\b/.test(f)),
        `${name} gets no other plain settings`,
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
    assert.match(
      String(locals.persisted_operations_mounts),
      /var\.persisted_operations == "off" \? toset\(\[\]\)/,
    );
    const dynamicBlock = (body: Body, name: string): Body =>
      ((body.dynamic as Record<string, Body[]> | undefined)?.[name] ?? [])[0]!;
    const volume = dynamicBlock(child(api, 'template'), 'volumes');
    assert.equal(volume.for_each, '${local.persisted_operations_mounts}');
    assert.equal(
      child(volume, 'content', 'secret').secret,
      '${google_secret_manager_secret.persisted_operations.secret_id}',
    );
    assert.equal(
      dynamicBlock(containerOf.api, 'volume_mounts').for_each,
      '${local.persisted_operations_mounts}',
    );
    for (const other of [containerOf.worker, containerOf.migrate]) {
      assert.ok(!JSON.stringify(other).includes('persisted_operations'));
    }
    const access = resourcesOfType('google_secret_manager_secret_iam_member').find(
      (r) => r.name === 'persisted_operations',
    )!;
    assert.equal(access.body.member, '${google_service_account.runtime["api"].member}');
  });

  it('outputs the service URL and what CI needs', () => {
    for (const name of ['api_url', 'workload_identity_provider', 'ci_service_account']) {
      assert.ok(outputs.has(name), name);
    }
  });
});
