/**
 * Apollo Server 5 has no executor option, only its gateway interface: this
 * gives Apollo the public schema (to parse, validate and cache documents) and
 * an executor that measures the operation's cost (refusing it over the node
 * limit before any database work), routes it (schema/compose/router.ts),
 * then settles the request's transaction and masks the errors.
 */
import { printSchema, type ExecutionResult } from 'graphql';
import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import type { GatewayContext } from '../../schema/context.js';
import type { GatewaySchema } from '../../schema/buildGatewaySchema.js';
import { requestError, toClientError } from '../../schema/errors/toClientError.js';
import { QueryCost } from '../../schema/limits/queryCost.js';
import { settleTransaction } from './settleTransaction.js';

function maskErrors(result: ExecutionResult, context: GatewayContext): ExecutionResult {
  if (!result.errors?.length) return result;
  // No data at all: the variables or the operation were refused before execution.
  if (result.data === undefined) return { errors: result.errors.map(requestError) };
  return { ...result, errors: result.errors.map((error) => toClientError(error, context.logger)) };
}

export function apolloGateway(gateway: GatewaySchema, maxQueryNodes: number): GatewayInterface {
  const queryCost = new QueryCost(gateway.publicSchema, maxQueryNodes);
  const executor: GatewayExecutor = async (requestContext) => {
    const context = requestContext.context as GatewayContext;
    const { document, operation } = requestContext;
    const measured = queryCost.measure(document, operation, requestContext.request.variables);
    if ('errors' in measured) return { errors: measured.errors.map(requestError) };
    context.usage.cost = measured.cost;
    if (measured.refusal) return { errors: [measured.refusal] };
    const isMutation = operation.operation === 'mutation';
    context.db.setReadOnly(!isMutation);
    const result = await gateway.router.execute({
      document,
      variableValues: requestContext.request.variables,
      operationName: requestContext.operationName,
      context,
    });
    return maskErrors(await settleTransaction(result, context, isMutation), context);
  };
  const coreSupergraphSdl = printSchema(gateway.publicSchema);
  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: gateway.publicSchema, coreSupergraphSdl });
      return () => undefined;
    },
    load: () => Promise.resolve({ executor }),
    stop: () => Promise.resolve(),
  };
}
