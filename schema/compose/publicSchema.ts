/**
 * The one public schema: PostGraphile's read side and type-graphql's viewer
 * and mutations, stitched. Types both define (`Job`, the job enums, `UUID`,
 * `Datetime`, `JSON`) take PostGraphile's definition; a `Job` that
 * type-graphql returned gets its PostGraphile-only fields (`events`) through
 * `job(id:)`, in the same request transaction. Only operations that need
 * both engines execute through this schema (see router.ts). The
 * `Subscription` type is declared here, beside both; subscriptions execute
 * through the gateway's fan-out (schema/subscriptions/).
 *
 * Stitching copies scalars without their parsing (any literal passes), and
 * Apollo validates every document against this schema: each scalar gets back
 * its engine's parseValue and parseLiteral, so a bad UUID or cursor written
 * inline is refused in validation, as one in a variable is in coercion.
 */
import {
  isScalarType,
  isSpecifiedScalarType,
  type ExecutionResult,
  type GraphQLScalarType,
  type GraphQLSchema,
} from 'graphql';
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

type ScalarParsing = Pick<GraphQLScalarType, 'serialize' | 'parseValue' | 'parseLiteral'>;

/**
 * Our scalars' parsing by name, PostGraphile's last, so it wins (it is
 * canonical). Only the functions: names, descriptions and `@specifiedBy` stay
 * as stitching printed them, so schema.graphql does not change.
 */
function engineScalarParsing(engines: Engines): Record<string, ScalarParsing> {
  const scalars: Record<string, ScalarParsing> = {};
  for (const schema of [engines.typeGraphql, engines.postgraphile.schema]) {
    for (const type of Object.values(schema.getTypeMap())) {
      if (isScalarType(type) && !isSpecifiedScalarType(type)) {
        const { serialize, parseValue, parseLiteral } = type;
        scalars[type.name] = { serialize, parseValue, parseLiteral };
      }
    }
  }
  return scalars;
}

export function composePublicSchema(engines: Engines): GraphQLSchema {
  return stitchSchemas({
    typeDefs: SUBSCRIPTION_TYPE_DEFS,
    resolvers: engineScalarParsing(engines),
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
