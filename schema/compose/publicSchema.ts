/**
 * The one public schema: PostGraphile's read side and type-graphql's viewer
 * and mutations, stitched. Types both define (`Job`, the job enums, `UUID`,
 * `Datetime`, `JSON`) take PostGraphile's definition; a `Job` that
 * type-graphql returned gets its PostGraphile-only fields (`events`) through
 * `job(id:)`, in the same request transaction. Only operations that need
 * both engines execute through this schema (see router.ts). The
 * `Subscription` type is declared here, beside both; subscriptions execute
 * through the gateway's fan-out (schema/subscriptions/).
 */
import type { ExecutionResult, GraphQLSchema } from 'graphql';
import { stitchSchemas } from '@graphql-tools/stitch';
import type { ExecutionRequest, Executor } from '@graphql-tools/utils';
import type { GatewayContext } from '../context.js';
import { SUBSCRIPTION_TYPE_DEFS } from '../subscriptions/subscriptionTypeDefs.js';
import {
  executeOnPostGraphile,
  executeOnTypeGraphql,
  type Engines,
  type Operation,
} from './engines.js';

/** Shared types whose public definition is PostGraphile's. */
const SHARED_TYPES = ['JobType', 'JobStatus', 'JobStage', 'UUID', 'Datetime', 'JSON'];

function executor(
  run: (operation: Operation) => Promise<ExecutionResult>,
): Executor<GatewayContext> {
  const execute = (request: ExecutionRequest<Record<string, unknown>, GatewayContext>) => {
    if (!request.context) throw new Error('a delegated operation needs the request context');
    return run({
      document: request.document,
      variableValues: request.variables,
      operationName: request.operationName,
      context: request.context,
    });
  };
  return execute as Executor<GatewayContext>;
}

export function composePublicSchema(engines: Engines): GraphQLSchema {
  return stitchSchemas({
    typeDefs: SUBSCRIPTION_TYPE_DEFS,
    subschemas: [
      {
        schema: engines.typeGraphql,
        executor: executor((op) => executeOnTypeGraphql(engines.typeGraphql, op)),
      },
      {
        schema: engines.postgraphile.schema,
        executor: executor((op) => executeOnPostGraphile(engines.postgraphile, op)),
        merge: {
          Job: {
            selectionSet: '{ id }',
            fieldName: 'job',
            args: (job: { id: string }) => ({ id: job.id }),
            canonical: true,
          },
          ...Object.fromEntries(SHARED_TYPES.map((name) => [name, { canonical: true }])),
        },
      },
    ],
  });
}
