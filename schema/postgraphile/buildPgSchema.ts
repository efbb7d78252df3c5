/**
 * Builds the PostGraphile subschema by introspecting the database. At run
 * time its plans get the request's `withPgClient` from the context the
 * gateway builds (see schema/compose/engines.ts), not from this pg service,
 * which is only used to introspect.
 */
import type { GraphQLSchema } from 'graphql';
import type pg from 'pg';
import { makeSchema } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { makePgPreset } from './preset.js';

export interface PgSubschema {
  schema: GraphQLSchema;
  resolvedPreset: GraphileConfig.ResolvedPreset;
}

export async function buildPgSchema(pool: pg.Pool): Promise<PgSubschema> {
  const pgService = makePgService({ pool, schemas: ['app_public'], pubsub: false });
  const { schema, resolvedPreset } = await makeSchema(makePgPreset(pgService));
  return { schema, resolvedPreset };
}
