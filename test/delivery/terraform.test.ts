/**
 * infra/ parsed with HashiCorp's HCL parser and held to the security posture:
 * private ingress, the image's non-root user, least-privilege identities,
 * secrets only by reference, and the guards on environment and auth.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ENTRY_POINTS, assertEntryPointExists } from './projectFiles.js';
import {
  type Body,
  allStrings,
  child,
  locals,
  outputs,
  resource,
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

/** Names set by `env { name, value }` blocks or by the keys of a dynamic env's map. */
function plainEnvNames(container: Body): string[] {
  const literal = ((container.env ?? []) as Body[]).filter((e) => e.value !== undefined);
  const dynamic = ((container.dynamic?.env ?? []) as Body[]).map((d) => String(d.for_each));
  const keysOf = (expr: string): string[] => {
    const referenced = expr.includes('local.common_env') ? String(locals.common_env) : '';
    return [...`${expr}\n${referenced}`.matchAll(/\b([A-Z][A-Z0-9_]+)\s*=/g)].map((m) => m[1]!);
  };
  return [...literal.map((e) => String(e.name)), ...dynamic.flatMap(keysOf)];
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

  it('gives no credential as a plain value; each process gets only its own database URL', () => {
    const expected = {
      api: ['API_DATABASE_URL', 'authenticator'],
      worker: ['WORKER_DATABASE_URL', 'worker'],
      migrate: ['MIGRATION_DATABASE_URL', 'owner'],
    };
    for (const [name, c] of Object.entries(containerOf)) {
      const secretNames = plainEnvNames(c).filter((n) => SECRET_NAME.test(n) && n !== 'JWKS_URL');
      assert.deepEqual(secretNames, [], `${name} has no secret-looking plain env`);
      const refs = ((c.env ?? []) as Body[]).map((e) => [
        e.name,
        child(e, 'value_source', 'secret_key_ref').secret,
      ]);
      const [envName, role] = expected[name as keyof typeof expected];
      assert.deepEqual(refs, [
        [envName, `\${google_secret_manager_secret.database_url["${role}"].secret_id}`],
      ]);
    }
    assert.deepEqual(locals.database_url_of, {
      api: 'authenticator',
      worker: 'worker',
      migrate: 'owner',
    });
  });

  it('grants secret access per secret, never project-wide', () => {
    const accessors = resourcesOfType('google_secret_manager_secret_iam_member');
    assert.ok(accessors.length >= 3);
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

  it('creates DEV_JWT_SECRET only outside prod and only for dev auth', () => {
    assert.match(String(locals.dev_jwt_secret_enabled), /var\.environment != "prod"/);
    const gated = [
      ...resourcesOfType('google_secret_manager_secret'),
      ...resourcesOfType('google_secret_manager_secret_version'),
      ...resourcesOfType('random_password'),
    ].filter((r) => r.name.startsWith('dev_jwt'));
    assert.equal(gated.length, 3);
    for (const r of gated) assert.match(r.body.count, /local\.dev_jwt_secret_enabled/);
    const dynamicEnv = (containerOf.api.dynamic.env as Body[]).map((d) => child(d, 'content'));
    const devSecret = dynamicEnv.find((e) => e.name === 'DEV_JWT_SECRET');
    assert.ok(devSecret, 'the API gets DEV_JWT_SECRET when it exists');
    assert.equal(devSecret.value, undefined);
    assert.ok(child(devSecret, 'value_source', 'secret_key_ref').secret);
    for (const other of [containerOf.worker, containerOf.migrate]) {
      assert.doesNotMatch(JSON.stringify(other), /DEV_JWT_SECRET/);
    }
  });

  it('validates the environment and refuses dev auth in prod', () => {
    const rules = (name: string): string =>
      ((variables.get(name)?.validation ?? []) as Body[]).map((v) => v.condition).join('\n');
    assert.match(rules('environment'), /\["dev", "staging", "prod"\]/);
    assert.match(
      rules('auth_provider'),
      /var\.environment == "prod" && var\.auth_provider == "dev"/,
    );
    assert.match(rules('image'), /@sha256:/);
  });

  it('outputs the service URL and what CI needs', () => {
    for (const name of ['api_url', 'workload_identity_provider', 'ci_service_account']) {
      assert.ok(outputs.has(name), name);
    }
  });
});
