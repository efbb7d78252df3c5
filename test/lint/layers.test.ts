/**
 * `npm run lint` enforces one direction of dependencies (eslint.config.js,
 * README "Layout"): ESLint itself, with the project's config, on imports a
 * file in each folder must not make and on ones it may.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';
import { projectRoot } from '../../runtime/paths.js';

const eslint = new ESLint({ cwd: projectRoot });

/** The no-restricted-imports messages ESLint reports for `code` as the file at `filePath`. */
async function layerErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

// Real files of each folder, linted with other text: the rule reads the path.
const CASES: Array<{ file: string; refused: string[]; allowed: string[] }> = [
  {
    file: 'worker/main.ts',
    refused: ['../server/createApi.js', '../schema/context.js', '../dev/freePort.js'],
    allowed: ['../runtime/config.js', './runner.js'],
  },
  {
    file: 'worker/tasks/mock_process.ts',
    refused: ['../../server/createApi.js'],
    allowed: ['../../runtime/logger.js', '../ledger.js'],
  },
  {
    file: 'schema/context.ts',
    refused: ['../server/db/requestTransaction.js', '../worker/ledger.js'],
    allowed: ['../runtime/logger.js', './jobs/createJob.js'],
  },
  {
    file: 'runtime/errors/sqlState.ts',
    refused: ['../../server/createApi.js', '../../schema/context.js', '../../worker/ledger.js'],
    allowed: ['./errorCodes.js', '../uuid.js'],
  },
  {
    file: 'server/createApi.ts',
    refused: ['../dev/prepareDatabase.js', '../worker/runner.js', '../test/support/tokens.js'],
    allowed: ['../runtime/config.js', '../schema/buildGatewaySchema.js'],
  },
  {
    file: 'bench/worker.ts',
    refused: ['../test/support/testDatabase.js'],
    allowed: ['../dev/scratchDatabase.js', '../worker/runner.js'],
  },
];

describe('the lint rule on the direction of dependencies', () => {
  for (const { file, refused, allowed } of CASES) {
    const folder = file.split('/')[0]!;
    it(`refuses in ${file} an import of ${refused.join(', ')}`, async () => {
      for (const path of refused) {
        const errors = await layerErrors(file, `import '${path}';\n`);
        assert.equal(errors.length, 1, `${path}: ${errors.join('; ')}`);
        assert.match(errors[0]!, new RegExp(`${folder}/ may import only `));
      }
    });
    it(`allows in ${file} ${allowed.join(', ')}`, async () => {
      for (const path of allowed) {
        assert.deepEqual(await layerErrors(file, `import '${path}';\n`), [], path);
      }
    });
  }
});
