/**
 * .github/: every workflow parses as YAML, every action is pinned to a full
 * commit SHA (with the version it stands for), permissions are minimal, and
 * the jobs do what the project promises (tests on PostgreSQL 15 to 18, schema
 * drift, a failing vulnerability scan, keyless pushes).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { parse } from 'yaml';
import { ENTRY_POINTS, projectPath, readProjectFile } from './projectFiles.js';

// A workflow is free-form YAML; the test reads it as such.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Yaml = Record<string, any>;

const files = readdirSync(projectPath('.github/workflows')).filter((f) => /\.ya?ml$/.test(f));
const workflows = new Map(
  files.map((f) => {
    const text = readProjectFile('.github/workflows', f);
    return [f, { text, doc: parse(text) as Yaml }] as const;
  }),
);
const workflow = (name: string): Yaml => workflows.get(name)!.doc;
const steps = (doc: Yaml): Yaml[] =>
  Object.values(doc.jobs as Yaml).flatMap((job: Yaml) => (job.steps ?? []) as Yaml[]);
const runs = (doc: Yaml): string =>
  steps(doc)
    .map((s) => s.run ?? '')
    .join('\n');

describe('.github/', () => {
  it('has ci.yml and build.yml, each parsing to a workflow with jobs', () => {
    assert.deepEqual([...workflows.keys()].sort(), ['build.yml', 'ci.yml']);
    for (const [name, { doc }] of workflows) {
      assert.ok(doc.on && doc.jobs, `${name} has triggers and jobs`);
    }
  });

  it('pins every action to a full commit SHA, with the version in a comment', () => {
    for (const [name, { doc, text }] of workflows) {
      const uses = steps(doc).flatMap((s) => (s.uses ? [String(s.uses)] : []));
      assert.ok(uses.length > 0);
      for (const ref of uses) {
        assert.match(ref, /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/, `${name}: ${ref}`);
      }
      const lines = text.split('\n').filter((l) => /^\s*-?\s*uses:/.test(l));
      assert.equal(lines.length, uses.length);
      for (const line of lines) assert.match(line, /@[0-9a-f]{40} # v\d+(\.\d+)*$/, line);
    }
  });

  it('reads the repository and nothing more, except the one job that pushes', () => {
    for (const [name, { doc }] of workflows) {
      assert.deepEqual(doc.permissions, { contents: 'read' }, `${name} top-level permissions`);
      assert.equal(
        doc.on.pull_request_target,
        undefined,
        `${name} never runs fork code with secrets`,
      );
      for (const [jobName, job] of Object.entries(doc.jobs as Yaml)) {
        const allowed =
          name === 'build.yml' ? { contents: 'read', 'id-token': 'write' } : undefined;
        assert.deepEqual((job as Yaml).permissions, allowed, `${name}/${jobName} permissions`);
      }
      for (const checkout of steps(doc).filter((s) => /^actions\/checkout@/.test(s.uses ?? ''))) {
        assert.equal(checkout.with?.['persist-credentials'], false);
      }
    }
  });

  it('runs CI on push and pull request, cancelling superseded runs', () => {
    const ci = workflow('ci.yml');
    assert.ok('push' in ci.on && 'pull_request' in ci.on);
    assert.equal(ci.concurrency['cancel-in-progress'], true);
    const commands = runs(ci);
    for (const cmd of [
      'npm ci',
      'npm run lint',
      'npm run typecheck',
      'npm run build',
      'npm test',
    ]) {
      assert.ok(commands.includes(cmd), cmd);
    }
    assert.match(commands, /npm run schema\n\s*git diff --exit-code schema\.graphql/);
    assert.match(commands, /npm run codegen\n[\s\S]*?git diff --exit-code examples\/generated/);
  });

  it('tests against a PostgreSQL service container for each major from 15 to 18', () => {
    const test = workflow('ci.yml').jobs.test as Yaml;
    assert.deepEqual(test.strategy.matrix.postgres, ['15', '16', '17', '18']);
    assert.equal(test.services.postgres.image, 'postgres:${{ matrix.postgres }}');
    const npmTest = (test.steps as Yaml[]).find((s) => s.run === 'npm test')!;
    assert.match(npmTest.env.TEST_DATABASE_URL, /^postgres:\/\/.*@127\.0\.0\.1:5432\//);
  });

  it('fails the image build on CRITICAL or HIGH vulnerabilities, before anything is pushed', () => {
    const all = steps(workflow('build.yml'));
    const scan = all.findIndex((s) => /^aquasecurity\/trivy-action@/.test(s.uses ?? ''));
    assert.ok(scan >= 0);
    assert.equal(all[scan]!.with.severity, 'CRITICAL,HIGH');
    assert.equal(all[scan]!.with['exit-code'], '1');
    const push = all.findIndex((s) => /docker push/.test(s.run ?? ''));
    assert.ok(push > scan, 'the push comes after the scan');
  });

  it('pushes only from main or tags, authenticating by Workload Identity Federation', () => {
    const build = workflow('build.yml');
    assert.deepEqual(build.on.push.branches, ['main']);
    const auth = steps(build).find((s) => /^google-github-actions\/auth@/.test(s.uses ?? ''))!;
    assert.ok(auth.with.workload_identity_provider);
    assert.equal(auth.with.credentials_json, undefined, 'no service-account key');
    for (const s of steps(build).filter(
      (x) => x.uses?.match(/auth@|login-action@/) || /push/.test(x.run ?? ''),
    )) {
      assert.equal(s.if, "github.event_name == 'push'", s.name ?? s.uses);
    }
  });

  it('smoke-tests the image as UID 1000 with a read-only root filesystem and a real migration', () => {
    const commands = runs(workflow('build.yml'));
    assert.match(commands, /\{\{\.Config\.User\}\}.*= "1000:1000"/);
    assert.equal(commands.match(/docker run [^\n]*--read-only --tmpfs \/tmp/g)?.length, 3);
    assert.ok(commands.includes(ENTRY_POINTS.migrate));
    assert.ok(commands.includes(ENTRY_POINTS.worker));
    assert.match(
      commands,
      /WORKER_HEALTH_PORT=8081[\s\S]*curl -fsS http:\/\/127\.0\.0\.1:8081\/healthz/,
    );
  });

  it('smoke-tests with one login role per process, as on Cloud SQL', () => {
    const commands = runs(workflow('build.yml'));
    const runsOf = commands.split('docker run ').slice(1);
    const urlsOf = (run: string) =>
      [...run.matchAll(/-e (\w+_DATABASE_URL)=postgres:\/\/(\w+):/g)].map((m) => `${m[1]}=${m[2]}`);
    assert.deepEqual(runsOf.map(urlsOf), [
      [
        'MIGRATION_DATABASE_URL=heimdex_owner',
        'API_DATABASE_URL=heimdex_authenticator',
        'WORKER_DATABASE_URL=heimdex_worker',
      ],
      ['API_DATABASE_URL=heimdex_authenticator'],
      ['WORKER_DATABASE_URL=heimdex_worker'],
    ]);
  });

  it('has Dependabot update npm, Docker and Actions weekly, minor and patch grouped', () => {
    const config = parse(readProjectFile('.github/dependabot.yml')) as Yaml;
    const byEcosystem = new Map((config.updates as Yaml[]).map((u) => [u['package-ecosystem'], u]));
    for (const ecosystem of ['npm', 'docker', 'github-actions']) {
      const update = byEcosystem.get(ecosystem);
      assert.ok(update, ecosystem);
      assert.equal(update.schedule.interval, 'weekly');
      const groups = Object.values(update.groups as Yaml) as Yaml[];
      assert.deepEqual(groups[0]?.['update-types'], ['minor', 'patch']);
    }
  });
});
