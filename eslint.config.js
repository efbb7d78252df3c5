// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Our top-level folders of code. */
const FOLDERS = ['runtime', 'server', 'schema', 'worker', 'dev', 'test', 'bench', 'examples'];

/**
 * One direction of dependencies (README, "Layout"): each folder may import
 * only the folders listed, besides itself and packages. All our imports are
 * relative, so a path that climbs out of the folder names where it lands.
 */
function layers(rules) {
  return Object.entries(rules).map(([folder, { mayImport, why }]) => {
    const forbidden = FOLDERS.filter((f) => f !== folder && !mayImport.includes(f));
    return {
      files: [`${folder}/**/*.ts`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                regex: `^(\\.\\./)+(${forbidden.join('|')})(/|$)`,
                message: `${folder}/ may import only ${[...mayImport, folder].join(', ')} and packages: ${why}.`,
              },
            ],
          },
        ],
      },
    };
  });
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.data/', 'examples/generated/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', name: ['describe', 'it', 'test', 'suite'], package: 'node:test' },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      // graphile-worker's task payloads are declared by merging into its global namespace
      '@typescript-eslint/no-namespace': ['error', { allowDeclarations: true }],
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read configuration through runtime/config.ts.',
        },
      ],
    },
  },
  {
    // The one config module; childEnv passes the environment on to our children unread.
    files: ['runtime/config.ts', 'runtime/process/childProcess.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  ...layers({
    runtime: { mayImport: [], why: 'runtime/ is what every process stands on' },
    worker: { mayImport: ['runtime'], why: 'the worker deploys alone' },
    schema: { mayImport: ['runtime'], why: 'the schema declares the context it needs' },
    server: { mayImport: ['runtime', 'schema'], why: 'the API process ships without local tools' },
    dev: {
      mayImport: ['runtime', 'server', 'schema', 'worker'],
      why: 'local tools serve tests and benchmarks, never the reverse',
    },
    bench: {
      mayImport: ['runtime', 'server', 'schema', 'worker', 'dev'],
      why: 'helpers tests and benchmarks share belong in dev/',
    },
  }),
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
