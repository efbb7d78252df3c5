/**
 * The two engines, each given a document valid against its own subschema.
 * PostGraphile runs on grafast, with a context carrying the request's one
 * transaction as `withPgClient` (claims are already set in it, so
 * `pgSettings` stays empty); type-graphql runs on graphql-js.
 */
import { execute as grafastExecute } from 'grafast';
import {
  execute as graphqlExecute,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import type { GatewayContext } from '../context.js';
import type { PgSubschema } from '../postgraphile/buildPgSchema.js';

export interface Engines {
  postgraphile: PgSubschema;
  typeGraphql: GraphQLSchema;
}

export interface Operation {
  document: DocumentNode;
  variableValues?: Readonly<Record<string, unknown>> | undefined;
  operationName?: string | null | undefined;
  context: GatewayContext;
}

function single(result: Awaited<ReturnType<typeof grafastExecute>>): ExecutionResult {
  if (Symbol.asyncIterator in result) throw new Error('incremental delivery is not supported');
  return result;
}

export async function executeOnPostGraphile(
  { schema, resolvedPreset }: PgSubschema,
  { document, variableValues, operationName, context }: Operation,
): Promise<ExecutionResult> {
  const contextValue = { withPgClient: context.db.withPgClient, pgSettings: null };
  return single(
    await grafastExecute({
      schema,
      document,
      variableValues,
      operationName,
      contextValue,
      resolvedPreset,
    }),
  );
}

export async function executeOnTypeGraphql(
  schema: GraphQLSchema,
  { document, variableValues, operationName, context }: Operation,
): Promise<ExecutionResult> {
  return graphqlExecute({ schema, document, variableValues, operationName, contextValue: context });
}
