/** The type-graphql subschema: `viewer` and the job mutations. */
import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import type { JobLimits } from '../jobs/jobLimits.js';
import { JobMutationsResolver } from './JobMutationsResolver.js';
import { ViewerResolver } from './ViewerResolver.js';

export function buildTypeGraphqlSchema(limits: JobLimits): Promise<GraphQLSchema> {
  const mutations = new JobMutationsResolver(limits);
  return buildSchema({
    resolvers: [ViewerResolver, JobMutationsResolver],
    // The one resolver with settings is built here; the others take none.
    container: {
      get: (resolver: new () => unknown) =>
        resolver === JobMutationsResolver ? mutations : new resolver(),
    },
    validate: { forbidUnknownValues: false },
  });
}
