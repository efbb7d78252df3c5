/**
 * GraphQL Code Generator for API consumers (`npm run codegen`): the client
 * preset over the committed schema.graphql and the operations in
 * examples/operations/, into examples/generated/ (committed): typed document
 * nodes, and persisted-documents.json, a manifest from each operation's
 * SHA-256 hash to its exact text. A frontend team copies this file and points
 * `documents` at its own operations.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: 'examples/operations/*.graphql',
  ignoreNoDocuments: false,
  // ESM with NodeNext resolution: relative imports name their .js file.
  emitLegacyCommonJSImports: false,
  generates: {
    'examples/generated/': {
      preset: 'client',
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: { hashAlgorithm: 'sha256' },
      },
      config: {
        // Every custom scalar the API serves, as it arrives in JSON; a new one
        // fails generation until it is named here.
        strictScalars: true,
        scalars: {
          BigInt: 'string',
          Cursor: 'string',
          Datetime: 'string',
          JSON: 'unknown',
          UUID: 'string',
        },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
