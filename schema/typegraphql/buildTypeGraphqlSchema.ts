/** The type-graphql subschema: `viewer` and the job mutations. */
import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { JobMutationsResolver } from './JobMutationsResolver.js';
import { ViewerResolver } from './ViewerResolver.js';

export function buildTypeGraphqlSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [ViewerResolver, JobMutationsResolver],
    validate: { forbidUnknownValues: false },
  });
}
