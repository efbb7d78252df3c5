/**
 * Limits on what one GraphQL document may ask for, checked when Apollo first
 * parses and validates it (and then cached with the document): tokens,
 * depth, aliases, directives and an estimated cost. Refusals are
 * BAD_USER_INPUT with HTTP 400. Field suggestions ("Did you mean ...?") are
 * removed where introspection is off.
 */
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ApolloServerPlugin } from '@apollo/server';
import type { ValidationRule } from 'graphql';

export const ABUSE_LIMITS = {
  maxTokens: 2_000,
  maxDepth: 10,
  maxAliases: 15,
  maxDirectives: 10,
  maxCost: 5_000,
} as const;

export function abuseLimits(blockFieldSuggestions: boolean): {
  plugins: ApolloServerPlugin[];
  validationRules: ValidationRule[];
  /** graphql-js counts tokens while parsing; armor's own token plugin re-parses every document and turns syntax errors into 500s. */
  parseOptions: { maxTokens: number };
} {
  const { plugins, validationRules } = new ApolloArmor({
    maxTokens: { enabled: false },
    maxDepth: { n: ABUSE_LIMITS.maxDepth, ignoreIntrospection: true },
    maxAliases: { n: ABUSE_LIMITS.maxAliases },
    maxDirectives: { n: ABUSE_LIMITS.maxDirectives },
    costLimit: { maxCost: ABUSE_LIMITS.maxCost, ignoreIntrospection: true },
    blockFieldSuggestion: { enabled: blockFieldSuggestions },
  }).protect();
  return {
    plugins: plugins as ApolloServerPlugin[],
    validationRules,
    parseOptions: { maxTokens: ABUSE_LIMITS.maxTokens },
  };
}
