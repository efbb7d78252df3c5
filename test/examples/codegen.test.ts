/**
 * What frontend teams get from `npm run codegen`: the committed
 * examples/generated/ must be exactly what codegen.ts makes from the
 * committed schema.graphql and examples/operations/ (fix with `npm run
 * codegen`), and the persisted-operation manifest must be usable: each hash
 * is the SHA-256 of the exact text it maps to, which is valid against the
 * schema, and it is the hash each generated document carries.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildSchema, parse, validate } from 'graphql';
import { generate } from '@graphql-codegen/cli';
import config from '../../codegen.js';
import { projectRoot } from '../../runtime/paths.js';
import * as generated from '../../examples/generated/graphql.js';

const GENERATED_DIR = 'examples/generated';
const read = (file: string) => readFile(path.join(projectRoot, file), 'utf8');
const manifest = JSON.parse(await read(`${GENERATED_DIR}/persisted-documents.json`)) as Record<
  string,
  string
>;

describe('codegen for consumers', () => {
  it('examples/generated/ is current (run `npm run codegen` to update it)', async () => {
    const outputs = (await generate({ ...config, cwd: projectRoot, silent: true }, false)) as {
      filename: string;
      content: string;
    }[];
    const expected = outputs.map((o) =>
      path.relative(projectRoot, path.resolve(projectRoot, o.filename)),
    );
    const committed = (await readdir(path.join(projectRoot, GENERATED_DIR))).map((f) =>
      path.join(GENERATED_DIR, f),
    );
    assert.deepEqual(committed.sort(), [...expected].sort());
    for (const [i, output] of outputs.entries()) {
      assert.equal(await read(expected[i]!), output.content, `${expected[i]} is stale`);
    }
  });

  it('maps each persisted operation hash to the exact text it hashes, valid against the schema', async () => {
    const schema = buildSchema(await read('schema.graphql'));
    const operations = (await readdir(path.join(projectRoot, 'examples/operations'))).filter((f) =>
      f.endsWith('.graphql'),
    );
    assert.equal(Object.keys(manifest).length, operations.length, 'one entry per operation');
    for (const [hash, text] of Object.entries(manifest)) {
      assert.equal(hash, `sha256:${createHash('sha256').update(text).digest('hex')}`);
      assert.deepEqual(validate(schema, parse(text)), [], text);
    }
  });

  it('gives every generated document the hash the manifest knows it by', () => {
    const documents = Object.entries(generated).filter(([name]) => name.endsWith('Document'));
    assert.equal(documents.length, 7);
    for (const [name, doc] of documents) {
      const hash = (doc as { __meta__?: { hash?: string } }).__meta__?.hash;
      assert.ok(hash && hash in manifest, `${name} carries a hash the manifest has`);
    }
  });
});
