/**
 * Limits on the shape of one GraphQL document, checked once when it is
 * parsed and validated (Apollo then caches the valid document): tokens,
 * depth, aliases and directives. How much data it may return is the node
 * count's job (nodeCount.ts), which needs the variables.
 *
 * A refusal is BAD_USER_INPUT (HTTP 400) that names the limit, the amount
 * found and the maximum, and carries them as `extensions.limit`. It never
 * says "Syntax Error": the document is valid GraphQL, only too big.
 */
import {
  GraphQLError,
  Kind,
  Lexer,
  Source,
  TokenKind,
  type ASTNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { clientError } from '../errors/toClientError.js';

export const DOCUMENT_LIMITS = {
  /** graphql-js stops parsing after this many tokens. */
  maxTokens: 2_000,
  /** Nested fields, fragments flattened; introspection is not counted. */
  maxDepth: 10,
  maxAliases: 15,
  maxDirectives: 10,
} as const;

export type DocumentLimit = 'tokens' | 'depth' | 'aliases' | 'directives';

/** Thousands separated, as the messages print numbers. */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

function refusal(
  limit: DocumentLimit,
  message: string,
  found: number | undefined,
  max: number,
  node?: ASTNode,
): GraphQLError {
  return clientError('BAD_USER_INPUT', message, node && { nodes: [node] }, undefined, {
    limit: found === undefined ? { name: limit, max } : { name: limit, found, max },
  });
}

interface Measures {
  depth: number;
  aliases: number;
  directives: number;
}

/** Depth, aliases and directives of an operation, each fragment spread expanded where it is used. */
function measure(
  operation: OperationDefinitionNode,
  fragmentOf: (name: string) => FragmentDefinitionNode | null | undefined,
): Measures {
  // Fragment cycles are another rule's refusal; meanwhile a spread inside its own expansion counts 0.
  const expanding = new Set<string>();
  const walk = (set: SelectionSetNode): Measures => {
    const total: Measures = { depth: 0, aliases: 0, directives: 0 };
    for (const selection of set.selections) {
      total.directives += selection.directives?.length ?? 0;
      let inner: Measures | undefined;
      let level = 0;
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name === '__schema' || name === '__type') continue;
        if (selection.alias && name !== '__typename') total.aliases += 1;
        level = 1;
        if (selection.selectionSet) inner = walk(selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        inner = walk(selection.selectionSet);
      } else {
        const name = selection.name.value;
        const fragment = fragmentOf(name);
        if (fragment && !expanding.has(name)) {
          expanding.add(name);
          inner = walk(fragment.selectionSet);
          expanding.delete(name);
        }
      }
      total.depth = Math.max(total.depth, level + (inner?.depth ?? 0));
      total.aliases += inner?.aliases ?? 0;
      total.directives += inner?.directives ?? 0;
    }
    return total;
  };
  const measures = walk(operation.selectionSet);
  measures.directives += operation.directives?.length ?? 0;
  return measures;
}

/** How each measured limit is worded when exceeded. */
const REFUSALS: ReadonlyArray<{
  limit: keyof Measures;
  max: number;
  message: (found: number, max: number) => string;
}> = [
  {
    limit: 'depth',
    max: DOCUMENT_LIMITS.maxDepth,
    message: (found, max) =>
      `This operation nests fields ${found} deep; the limit is ${max}. Ask for less nested data, or fetch it in a second request.`,
  },
  {
    limit: 'aliases',
    max: DOCUMENT_LIMITS.maxAliases,
    message: (found, max) => `This operation uses ${found} aliases; the limit is ${max}.`,
  },
  {
    limit: 'directives',
    max: DOCUMENT_LIMITS.maxDirectives,
    message: (found, max) => `This operation uses ${found} directives; the limit is ${max}.`,
  },
];

/** The validation rule for depth, aliases and directives, per operation. */
export const documentLimitsRule: ValidationRule = (context: ValidationContext) => ({
  OperationDefinition(operation) {
    const measures = measure(operation, (name) => context.getFragment(name));
    for (const { limit, max, message } of REFUSALS) {
      const found = measures[limit];
      if (found > max)
        context.reportError(refusal(limit, message(found, max), found, max, operation));
    }
  },
});

/** True when `text` has more than `max` tokens (lexing stops at max + 1, or at a lexical error). */
function exceedsTokens(text: string, max: number): boolean {
  const lexer = new Lexer(new Source(text));
  try {
    for (let count = 0; count <= max; count++) {
      if (lexer.advance().kind === TokenKind.EOF) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * graphql-js refuses a document over `maxTokens` with a syntax error; this
 * tells that refusal apart (by counting the tokens, only when parsing
 * failed) and words it as a limit. Undefined for a real syntax error.
 */
export function tokenLimitRefusal(parseError: unknown): GraphQLError | undefined {
  const source = parseError instanceof GraphQLError ? parseError.source : undefined;
  const max = DOCUMENT_LIMITS.maxTokens;
  if (!source || !exceedsTokens(source.body, max)) return undefined;
  return refusal(
    'tokens',
    `This document has more than ${formatCount(max)} tokens; the limit is ${formatCount(max)}. Send a smaller document.`,
    undefined,
    max,
  );
}
