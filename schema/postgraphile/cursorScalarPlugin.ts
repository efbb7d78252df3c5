/**
 * PostGraphile's `Cursor` scalar accepts any string (and, as a variable,
 * anything at all), and only decodes it while the query runs, where a bad one
 * became a 500. Here the scalar itself refuses what cannot be a cursor (not
 * base64 of a JSON array, as `@dataplan/pg` writes them), so a malformed
 * cursor is refused as BAD_USER_INPUT before anything runs: inline in
 * validation, as a variable in coercion. A well-formed cursor of another
 * ordering still reaches `@dataplan/pg`, whose SafeError is a client error
 * too (schema/errors/classifyError.ts).
 */
import { GraphQLError, Kind, type ValueNode } from 'graphql';

/** Far above a cursor of our orderings (a digest and a few values). */
const MAX_CURSOR_LENGTH = 1024;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function invalid(): GraphQLError {
  return new GraphQLError(
    'Invalid cursor: use a cursor from a previous page of the same connection and ordering, or null.',
  );
}

export function parseCursor(value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_CURSOR_LENGTH || !BASE64.test(value)) {
    throw invalid();
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(decoded) || decoded.length < 2) throw invalid();
  return value;
}

export const CursorScalarPlugin: GraphileConfig.Plugin = {
  name: 'HeimdexCursorScalarPlugin',
  version: '1.0.0',
  schema: {
    hooks: {
      GraphQLScalarType(config, _build, context) {
        if (!context.scope.isCursorType) return config;
        return {
          ...config,
          parseValue: parseCursor,
          parseLiteral: (ast: ValueNode) =>
            parseCursor(ast.kind === Kind.STRING ? ast.value : undefined),
        };
      },
    },
  },
};
