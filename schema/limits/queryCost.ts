/**
 * A request's cost, measured once after its variables are coerced and
 * before anything touches the database: the nodes its operation may return
 * (nodeCount.ts). Over `maxNodes`, the request is refused with
 * BAD_USER_INPUT and `extensions.cost: {nodes, limit}`. The same number is
 * what the request spends from its rate budgets and what its log line shows.
 */
import {
  getVariableValues,
  Kind,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type DocumentNode,
  type GraphQLError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { clientError } from '../errors/toClientError.js';
import { formatCount } from './documentLimits.js';
import { NodeCounter } from './nodeCount.js';

export interface Cost {
  /** Nodes the operation may return. */
  nodes: number;
  /** Root mutation fields (each one a write). */
  writes: number;
}

export type Measured = { cost: Cost; refusal?: GraphQLError } | { errors: readonly GraphQLError[] };

/** Fields at the root of an operation, fragments expanded (the document is valid: no cycles). */
function rootFields(document: DocumentNode, operation: OperationDefinitionNode): number {
  const fragment = (name: string) =>
    document.definitions.find(
      (d): d is FragmentDefinitionNode =>
        d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === name,
    );
  const count = (set: SelectionSetNode): number =>
    set.selections.reduce((total, selection) => {
      if (selection.kind === Kind.FIELD) return total + 1;
      if (selection.kind === Kind.INLINE_FRAGMENT) return total + count(selection.selectionSet);
      const definition = fragment(selection.name.value);
      return total + (definition ? count(definition.selectionSet) : 0);
    }, 0);
  return count(operation.selectionSet);
}

export class QueryCost {
  readonly #counter: NodeCounter;

  constructor(
    private readonly schema: GraphQLSchema,
    readonly maxNodes: number,
  ) {
    this.#counter = new NodeCounter(schema);
  }

  /**
   * The cost of `operation` with the request's variables; `refusal` when it
   * is over the limit; `errors` when the variables do not coerce (the same
   * errors execution would give, before it starts).
   */
  measure(
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Record<string, unknown> | undefined,
  ): Measured {
    const count = this.#counter.compile(document, operation);
    let nodes: number;
    if (count.variables.size === 0) {
      nodes = count.evaluate({});
    } else {
      const definitions = (operation.variableDefinitions ?? []).filter((d) =>
        count.variables.has(d.variable.name.value),
      );
      const coerced = getVariableValues(this.schema, definitions, variables ?? {}, {
        maxErrors: 10,
      });
      if (coerced.errors) return { errors: coerced.errors };
      nodes = count.evaluate(coerced.coerced);
    }
    const writes = operation.operation === 'mutation' ? rootFields(document, operation) : 0;
    const cost = { nodes, writes };
    if (nodes <= this.maxNodes) return { cost };
    return { cost, refusal: this.#refusal(operation, nodes) };
  }

  #refusal(operation: OperationDefinitionNode, nodes: number): GraphQLError {
    const message =
      `This ${operation.operation} could return ${formatCount(nodes)} nodes; the limit is ` +
      `${formatCount(this.maxNodes)}. Ask for smaller pages (first/last) or fewer nested connections.`;
    return clientError('BAD_USER_INPUT', message, { nodes: [operation] }, undefined, {
      cost: { nodes, limit: this.maxNodes },
    });
  }
}
