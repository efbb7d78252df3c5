/** The committed `schema.graphql`: the public schema, sorted, with descriptions. */
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';

export function printPublicSchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
