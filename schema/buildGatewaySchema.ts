/** Everything the gateway executes: both subschemas, the public schema, the router. */
import type { GraphQLSchema } from 'graphql';
import type pg from 'pg';
import { buildPgSchema } from './postgraphile/buildPgSchema.js';
import { buildTypeGraphqlSchema } from './typegraphql/buildTypeGraphqlSchema.js';
import { composePublicSchema } from './compose/publicSchema.js';
import { createRouter, type Router } from './compose/router.js';
import type { Engines } from './compose/engines.js';
import type { JobLimits } from './jobs/jobLimits.js';

export interface GatewaySchema {
  engines: Engines;
  publicSchema: GraphQLSchema;
  router: Router;
}

/**
 * `pool` is used to introspect the database (connections as
 * heimdex_authenticator); `limits` are what the job mutations enforce.
 */
export async function buildGatewaySchema(pool: pg.Pool, limits: JobLimits): Promise<GatewaySchema> {
  const [postgraphile, typeGraphql] = await Promise.all([
    buildPgSchema(pool),
    buildTypeGraphqlSchema(limits),
  ]);
  const engines = { postgraphile, typeGraphql };
  const publicSchema = composePublicSchema(engines);
  return { engines, publicSchema, router: createRouter(engines, publicSchema) };
}
