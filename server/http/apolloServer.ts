/** Apollo Server 5, configured for the gateway: safe defaults on, everything unused off. */
import { ApolloServer, type PersistedQueryOptions } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDisableSuggestions } from '@apollo/server/plugin/disableSuggestions';
import type { HeimdexEnv } from '../../runtime/config.js';
import type { Logger } from '../../runtime/logger.js';
import type { RequestContext } from './requestContext.js';
import type { GatewaySchema } from '../../schema/buildGatewaySchema.js';
import { makeFormatError } from '../../schema/errors/makeFormatError.js';
import { apolloGateway, type RequestLimits } from './apolloGateway.js';
import { DOCUMENT_LIMITS, documentLimitsRule } from '../../schema/limits/documentLimits.js';
import { httpStatusPlugin } from './plugins/httpStatusPlugin.js';

/** Where clients may explore the schema; everywhere else it is not described. */
export function exposesSchema(env: HeimdexEnv): boolean {
  return env === 'local' || env === 'dev';
}

export async function createApolloServer(
  gateway: GatewaySchema,
  env: HeimdexEnv,
  logger: Logger,
  limits: RequestLimits,
  /** Read-only persisted operations (server/http/persistedOperations.ts); none: the protocol is off. */
  persistedOperations?: PersistedQueryOptions['cache'],
): Promise<ApolloServer<RequestContext>> {
  const open = exposesSchema(env);
  const server = new ApolloServer<RequestContext>({
    gateway: apolloGateway(gateway, limits),
    logger: logger.child({ component: 'apollo' }),
    introspection: open,
    hideSchemaDetailsFromClientErrors: !open,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    persistedQueries: persistedOperations ? { cache: persistedOperations, ttl: null } : false,
    stopOnTerminationSignals: false,
    validationRules: [documentLimitsRule],
    // graphql-js counts tokens while it parses: a long document costs no more than the limit.
    parseOptions: { maxTokens: DOCUMENT_LIMITS.maxTokens },
    formatError: makeFormatError(logger),
    plugins: [
      // grafast refuses schemas whose fields Apollo's cache-control wraps.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ...(open ? [] : [ApolloServerPluginDisableSuggestions()]),
      httpStatusPlugin(),
    ],
  });
  await server.start();
  return server;
}
