/**
 * The documents readers rely on say what the code does: the README's
 * configuration table lists exactly the variables runtime/config.ts reads,
 * every test docs/security.md points at exists under that name, and every
 * relative link in the README and docs/ leads to a file.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_VARIABLES } from '../../runtime/config.js';
import { projectRoot } from '../../runtime/paths.js';

const read = (file: string): string => readFileSync(path.join(projectRoot, file), 'utf8');
const DOCS = [
  'README.md',
  ...readdirSync(path.join(projectRoot, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** The rows of every table under a `## heading` (its subsections too), as arrays of cells. */
function tableUnder(markdown: string, heading: string): string[][] {
  const section = markdown.split(/^## /m).find((s) => s.startsWith(`${heading}\n`));
  assert.ok(section, `a "## ${heading}" section`);
  // Each table's header row and separator are not rows.
  const lines = section.split('\n');
  return lines
    .filter((line, i) => [line, lines[i - 1], lines[i - 2]].every((l) => l?.startsWith('|')))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
}

describe('README', () => {
  it('lists every configuration variable, and only those, with a default and whether it is secret', () => {
    const rows = tableUnder(read('README.md'), 'Configuration');
    const listed = rows.map((cells) => cells[0]!.replace(/`/g, ''));
    assert.deepEqual([...listed].sort(), [...CONFIG_VARIABLES].sort());
    for (const [name, defaultValue, secret] of rows) {
      assert.ok(defaultValue, `${name} has a default column`);
      assert.match(secret!, /^(yes|no)$/, `${name} says whether it is secret`);
    }
    const secrets = rows.filter((cells) => cells[2] === 'yes').map((cells) => cells[0]);
    for (const name of ['`DATABASE_URL`', '`API_DATABASE_URL`', '`DEV_JWT_SECRET`']) {
      assert.ok(secrets.includes(name), `${name} is marked secret`);
    }
  });
});

describe('docs/security.md', () => {
  const pointers = [
    ...read('docs/security.md').matchAll(/`(test\/[\w/.-]+\.test\.ts)`((?:\s*›\s*"[^"]+")+)/g),
  ].flatMap(([, file, names]) =>
    [...names!.matchAll(/"([^"]+)"/g)].map(([, name]) => ({ file: file!, name: name! })),
  );

  it('points at tests, many of them', () => {
    assert.ok(pointers.length >= 80, `found ${pointers.length}`);
  });

  it('names only tests that exist, in the files it names', () => {
    const missing = pointers.filter(
      ({ file, name }) => !existsSync(path.join(projectRoot, file)) || !read(file).includes(name),
    );
    assert.deepEqual(missing, []);
  });
});

describe('links', () => {
  it('every relative link in the README and docs/ leads to a file or folder', () => {
    const broken: string[] = [];
    for (const doc of DOCS) {
      for (const [, target] of read(doc).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const resolved = path.join(projectRoot, path.dirname(doc), target!);
        if (!existsSync(resolved)) broken.push(`${doc}: ${target}`);
      }
    }
    assert.deepEqual(broken, []);
  });
});
