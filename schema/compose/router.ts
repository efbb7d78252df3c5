/**
 * Runs an operation on the engine that can answer it alone, with the
 * original document (grafast caches its plan per document object, and
 * Apollo hands us the same object for the same query text). Only an
 * operation valid against neither subschema alone, say `createJob { job {
 * events { ... } } }`, goes through the stitched schema. The route is
 * decided once per document.
 */
import {
  execute as graphqlExecute,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import {
  executeOnPostGraphile,
  executeOnTypeGraphql,
  type Engines,
  type Operation,
} from './engines.js';

export type Route = 'postgraphile' | 'typeGraphql' | 'composed';

/** Introspection must describe the public schema, whatever else the document asks. */
function asksForIntrospection(document: DocumentNode): boolean {
  return document.definitions.some(
    (definition) =>
      definition.kind === 'OperationDefinition' &&
      definition.selectionSet.selections.some(
        (selection) =>
          selection.kind === 'Field' &&
          (selection.name.value === '__schema' || selection.name.value === '__type'),
      ),
  );
}

/** graphql-js 16 validates a mutation against a schema without a Mutation type as valid. */
function answers(schema: GraphQLSchema, document: DocumentNode): boolean {
  const operationsKnown = document.definitions.every(
    (definition) =>
      definition.kind !== 'OperationDefinition' || schema.getRootType(definition.operation) != null,
  );
  return operationsKnown && validate(schema, document).length === 0;
}

export function routeFor(engines: Engines, document: DocumentNode): Route {
  if (asksForIntrospection(document)) return 'composed';
  if (answers(engines.postgraphile.schema, document)) return 'postgraphile';
  if (answers(engines.typeGraphql, document)) return 'typeGraphql';
  return 'composed';
}

export interface Router {
  route(document: DocumentNode): Route;
  execute(operation: Operation): Promise<ExecutionResult>;
}

export function createRouter(engines: Engines, publicSchema: GraphQLSchema): Router {
  const routes = new WeakMap<DocumentNode, Route>();
  const route = (document: DocumentNode): Route => {
    let found = routes.get(document);
    if (!found) {
      found = routeFor(engines, document);
      routes.set(document, found);
    }
    return found;
  };
  return {
    route,
    async execute(operation) {
      switch (route(operation.document)) {
        case 'postgraphile':
          return executeOnPostGraphile(engines.postgraphile, operation);
        case 'typeGraphql':
          return executeOnTypeGraphql(engines.typeGraphql, operation);
        case 'composed':
          return graphqlExecute({
            schema: publicSchema,
            document: operation.document,
            variableValues: operation.variableValues,
            operationName: operation.operationName,
            contextValue: operation.context,
          });
      }
    },
  };
}
