/**
 * The Dockerfile, parsed (dockerfile-ast), against the project: pinned bases,
 * a final stage that runs as UID 1000 with no shell and no dev dependencies,
 * and commands that name entry points which exist.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Copy, Instruction } from 'dockerfile-ast';
import {
  ENTRY_POINTS,
  assertEntryPointExists,
  projectPath,
  readProjectFile,
} from './projectFiles.js';
import {
  execForm,
  finalStageName,
  froms,
  productionInstallArgs,
  stageInstructions,
} from './dockerfileModel.js';

const stageNames = new Set(froms.map((f) => f.getBuildStage()).filter((s) => s !== null));
const final = stageInstructions(finalStageName);
const only = (keyword: string): Instruction[] => final.filter((i) => i.getKeyword() === keyword);
const copyFrom = (c: Copy): string | undefined => c.getFromFlag()?.getValue() ?? undefined;
const finalCopies = final.filter((i): i is Copy => i.getKeyword() === 'COPY');

describe('Dockerfile', () => {
  it('pins every external base image by exact version tag and sha256 digest', () => {
    const external = froms.filter((f) => !stageNames.has(f.getImage()!));
    assert.ok(external.length >= 2, 'a build image and a runtime image');
    for (const from of external) {
      const image = from.getImage();
      assert.match(from.getImageDigest() ?? '', /^sha256:[0-9a-f]{64}$/, `${image} has a digest`);
      assert.doesNotMatch(from.getImageTag() ?? 'latest', /^latest$/, `${image} is not :latest`);
    }
    const build = external.find((f) => f.getImageName() === 'node')!;
    assert.match(build.getImageTag()!, /^24\.\d+\.\d+-/, 'the build image is an exact Node 24');
  });

  it('ends on a distroless Node 24 image that runs as UID 1000, with no shell needed', () => {
    const runtime = froms.at(-1)!;
    assert.equal(runtime.getRegistry(), 'gcr.io');
    assert.match(runtime.getImageName()!, /^distroless\/nodejs24-/);
    const users = only('USER').map((u) => u.getArgumentsContent());
    assert.deepEqual(users, ['1000:1000']);
    assert.deepEqual(only('RUN'), [], 'the final stage runs nothing (it has no shell)');
    assert.deepEqual(execForm(only('ENTRYPOINT')[0]!), ['/nodejs/bin/node']);
    assert.equal(only('CMD').length, 1);
    assert.deepEqual(execForm(only('CMD')[0]!), [ENTRY_POINTS.api], 'the API is the default');
  });

  it('names, as the default command, an entry point whose source exists', () => {
    assertEntryPointExists(execForm(only('CMD')[0]!)[0]!);
  });

  it('gives the passwd entry UID 1000 a home under /tmp, the only writable place', () => {
    const accounts = stageInstructions('accounts')
      .map((i) => i.getRawArgumentsContent())
      .join();
    assert.match(accounts, /appuser:x:1000:1000:appuser:\/tmp:\/sbin\/nologin/);
    const env = only('ENV')
      .map((i) => i.getRawArgumentsContent())
      .join(' ');
    assert.match(env, /HOME=\/tmp/);
    assert.match(env, /HOST=0\.0\.0\.0/);
    assert.match(
      env,
      /HEIMDEX_ENV=prod/,
      'a container that forgets HEIMDEX_ENV gets the strict mode',
    );
  });

  it('probes /healthz with node itself (exec form, no curl, no shell)', () => {
    const [check] = only('HEALTHCHECK');
    assert.ok(check);
    const raw = check.getRawArgumentsContent()!;
    const command = JSON.parse(raw.slice(raw.indexOf('[')).trim()) as string[];
    assert.equal(command[0], '/nodejs/bin/node');
    assert.match(command.join(' '), /\/healthz/);
  });

  it('copies into the final stage only production dependencies, dist/, sql/ and package.json', () => {
    const sources = finalCopies.map(
      (c) => `${copyFrom(c) ?? 'context'}:${c.getArguments()[0]!.getValue()}`,
    );
    assert.deepEqual(sources.sort(), [
      'accounts:/tmp/group',
      'accounts:/tmp/passwd',
      'build:/app/dist',
      'context:package.json',
      'context:sql',
      'deps:/app/node_modules',
    ]);
    for (const c of finalCopies.filter((x) => copyFrom(x) === undefined)) {
      const source = c.getArguments()[0]!.getValue();
      assert.ok(existsSync(projectPath(source)), `${source} exists in the project`);
    }
  });

  it('installs the shipped node_modules with dev dependencies omitted, from the lock file', () => {
    const args = productionInstallArgs();
    assert.equal(args[0], 'ci');
    assert.ok(args.includes('--omit=dev'));
    assert.ok(args.includes('--ignore-scripts'));
  });

  it('compiles only the shipped code (runtime, server, schema, worker), not local tools, tests or benchmarks', () => {
    const build = JSON.parse(readProjectFile('tsconfig.build.json')) as { include: string[] };
    assert.deepEqual(build.include, ['runtime', 'server', 'schema', 'worker']);
    const runs = stageInstructions('build').map((i) => i.getArgumentsContent() ?? '');
    assert.ok(runs.some((r) => r.includes('tsc -p tsconfig.build.json')));
  });

  it('keeps secrets, local state and git metadata out of the build context', () => {
    const ignored = new Set(
      readProjectFile('.dockerignore')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#')),
    );
    for (const entry of ['.env', '.env.*', 'node_modules', '.data', 'dist', '.git']) {
      assert.ok(ignored.has(entry), `.dockerignore lists ${entry}`);
    }
  });
});
