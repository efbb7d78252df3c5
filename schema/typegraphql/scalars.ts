/**
 * The scalars type-graphql's types share with PostGraphile's, with the same
 * names and the same accepted input, so one public definition serves both.
 */
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { GraphQLJSON } from 'graphql-scalars';

const UUID_PATTERN = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** The UUID scalar's input check (the stitched public schema's scalars pass values through). */
export function parseUuid(value: unknown): string {
  if (typeof value !== 'string' || !UUID_PATTERN.test(value)) {
    throw new GraphQLError(
      'Invalid UUID, expected 32 hexadecimal characters, optionally with hyphens',
    );
  }
  return value;
}

export const UUIDScalar = new GraphQLScalarType<string, string>({
  name: 'UUID',
  serialize: (value) => String(value),
  parseValue: parseUuid,
  parseLiteral: (ast) => parseUuid(ast.kind === Kind.STRING ? ast.value : undefined),
});

/** Output only: rows are read with PostGraphile's timestamp format (see jobs/jobColumns.ts). */
export const DatetimeScalar = new GraphQLScalarType<string, string>({
  name: 'Datetime',
  serialize: (value) => String(value),
});

export const JSONScalar = GraphQLJSON;
