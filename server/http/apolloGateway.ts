/**
 * Apollo Server 5 has no executor option, only its gateway interface: this
 * gives Apollo the public schema (to parse, validate and cache documents) and
 * an executor that measures the operation's cost (refusing it over the node
 * limit, or over its org's or user's rate budget, before any database
 * work), waits for its turn by that cost (server/http/requestAdmission.ts),
 * routes it (schema/compose/router.ts),
 * then settles the request's transaction and masks the errors.
 */
import { getVariableValues, GraphQLError, printSchema, type ExecutionResult } from 'graphql';
import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import type { RequestContext } from './requestContext.js';
import type { GatewaySchema } from '../../schema/buildGatewaySchema.js';
import { clientError, toClientError, variableError } from '../../schema/errors/toClientError.js';
import { DatabaseUnavailableError } from '../../runtime/errors/HeimdexError.js';
import { AdmissionTimeoutError } from '../../runtime/admission/costAdmission.js';
import { ClientGoneError } from './requestAdmission.js';
import { QueryCost } from '../../schema/limits/queryCost.js';
import { maskErrors } from './maskErrors.js';
import { settleTransaction } from './settleTransaction.js';
import { pointsFor, type RateLimits } from './rateLimits.js';
import { rateLimitMessage } from './rateLimitResponse.js';
import { spanFailed } from './requestTrace.js';

export interface RequestLimits {
  /** Requests whose operation may return more nodes are refused (schema/limits/queryCost.ts). */
  maxQueryNodes: number;
  /** Per-minute budgets the request's cost is spent from; none with RATE_LIMIT=off. */
  rateLimits: RateLimits | undefined;
}

function noOperation(name: string | undefined): GraphQLError {
  const message = name
    ? `The document has no operation named "${name}".`
    : 'The document has several operations: send operationName to say which one to run.';
  return clientError('BAD_USER_INPUT', message);
}

/**
 * Waits for the request's turn by its cost (server/http/requestAdmission.ts),
 * before it takes a connection or does any work; a result when it may not run.
 */
async function waitForTurn(
  context: RequestContext,
  points: number,
): Promise<ExecutionResult | undefined> {
  try {
    await context.admission?.admit(points);
    return undefined;
  } catch (err) {
    if (err instanceof ClientGoneError) {
      // Nobody reads this answer: not a failure of ours, so no error id and no warning.
      context.logger.debug({ err }, 'client went away');
      return { errors: [clientError('SERVICE_UNAVAILABLE', err.message)] };
    }
    if (!(err instanceof AdmissionTimeoutError)) throw err;
    // As a connection that does not come in time: 503 with Retry-After, logged with an error id.
    const cause = new DatabaseUnavailableError('no turn to run', { cause: err });
    return {
      errors: [
        toClientError(new GraphQLError(err.message, { originalError: cause }), context.logger),
      ],
    };
  }
}

export function apolloGateway(gateway: GatewaySchema, limits: RequestLimits): GatewayInterface {
  const queryCost = new QueryCost(gateway.publicSchema, limits.maxQueryNodes);
  const { rateLimits } = limits;
  const execute: GatewayExecutor = async (requestContext) => {
    const context = requestContext.context as RequestContext;
    const { document, operation } = requestContext;
    // Apollo hands over a request whose operationName names no operation of the document.
    if (!operation) return { errors: [noOperation(requestContext.request.operationName)] };
    context.usage.operation = {
      name: requestContext.operationName ?? undefined,
      type: operation.operation,
    };
    // Every variable is coerced here against the public schema, before the
    // cost, so their refusal is told apart from any other failure that leaves
    // a result without data.
    const refused = (errors: readonly GraphQLError[]) => ({
      errors: errors.map((error) => variableError(error, context.logger)),
    });
    const coerced = getVariableValues(
      gateway.publicSchema,
      operation.variableDefinitions ?? [],
      requestContext.request.variables ?? {},
    );
    if (coerced.errors) return refused(coerced.errors);
    const measured = queryCost.measure(document, operation, requestContext.request.variables);
    if ('errors' in measured) return refused(measured.errors);
    context.usage.cost = measured.cost;
    if (measured.refusal) {
      context.usage.refusedBy = 'cost';
      return { errors: [measured.refusal] };
    }
    if (rateLimits) {
      const points = pointsFor(measured.cost);
      const state = (context.usage.rateLimit = await rateLimits.spend(context.claims, points));
      if (state.refusedBy) {
        context.usage.refusedBy = 'rate_limit';
        await rateLimits.toldToWait(context.claims, state);
        const message = rateLimitMessage(state, points);
        return { errors: [clientError('RATE_LIMITED', message, undefined, undefined, { points })] };
      }
    }
    const turn = await waitForTurn(context, pointsFor(measured.cost));
    if (turn) return turn;
    const isMutation = operation.operation === 'mutation';
    context.db.setReadOnly(!isMutation);
    const result = await gateway.router.execute({
      document,
      variableValues: requestContext.request.variables,
      operationName: requestContext.operationName,
      context,
    });
    return maskErrors(await settleTransaction(result, context, isMutation), context.logger);
  };
  /**
   * grafast does not run through graphql-js `execute`, so no graphql-js
   * instrumentation sees the operation: its span is made here, and the
   * request's statements and commit are its children.
   */
  const executor: GatewayExecutor = async (requestContext) => {
    const { trace, usage } = requestContext.context as RequestContext;
    if (!trace?.recording) return execute(requestContext);
    const type = requestContext.operation.operation;
    const name = requestContext.operationName ?? undefined;
    const span = trace.start(name ? `${type} ${name}` : type, {
      'graphql.operation.type': type,
      ...(name && { 'graphql.operation.name': name }),
    });
    trace.enter(span);
    try {
      const result = await execute(requestContext);
      if (usage.cost) span.setAttribute('heimdex.cost.nodes', usage.cost.nodes);
      const code = result.errors?.[0]?.extensions?.['code'];
      if (typeof code === 'string') spanFailed(span, { 'heimdex.error.code': code });
      return result;
    } catch (err) {
      spanFailed(span, { 'error.type': 'exception' });
      throw err;
    } finally {
      span.end();
    }
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
