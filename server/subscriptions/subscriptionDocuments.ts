/**
 * A socket's `subscribe` payload to a re-read plan and what it watches,
 * under the rules a query meets over HTTP: the persisted-operation
 * allow-list (PERSISTED_OPERATIONS_ONLY) and hashes
 * (PERSISTED_OPERATIONS_FILE), the token limit while parsing, GraphQL
 * validation against the public schema with the same document limits
 * (depth, aliases, directives: schema/limits/documentLimits.ts), field
 * suggestions hidden where Apollo hides them, then the node count with the
 * variables (schema/limits/queryCost.ts: what one update may return). Parsed,
 * validated and planned once per document text (bounded), as Apollo caches
 * documents: the plan's query is then the same object for every subscriber,
 * which is what lets the fan-out share one re-read among them and grafast
 * reuse its plan.
 */
import {
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
} from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import { clientError, requestError } from '../../schema/errors/toClientError.js';
import {
  DOCUMENT_LIMITS,
  documentLimitsRule,
  tokenLimitRefusal,
} from '../../schema/limits/documentLimits.js';
import { QueryCost, type Cost } from '../../schema/limits/queryCost.js';
import {
  NotAJobSubscriptionError,
  planJobRead,
  subscriptionTarget,
  type JobReadPlan,
  type JobSubscriptionTarget,
} from '../../schema/subscriptions/planJobRead.js';
import type { PersistedOperations } from '../http/persistedOperations.js';

export interface SubscriptionRules {
  maxQueryNodes: number;
  hideSuggestions: boolean;
  persisted: PersistedOperations | undefined;
  persistedOnly: boolean;
}

type Planned = { plan: JobReadPlan } | { errors: readonly GraphQLError[] };
type Prepared =
  | { plan: JobReadPlan; target: JobSubscriptionTarget; cost: Cost }
  | { errors: readonly GraphQLError[] };

interface CachedDocument {
  document?: DocumentNode;
  errors?: readonly GraphQLError[];
  plans: Map<string, Planned>;
}

/** What Apollo's ApolloServerPluginDisableSuggestions removes from validation messages. */
const SUGGESTION = / ?Did you mean(.+?)\?$/;

const MAX_CACHED_DOCUMENTS = 500;

export class SubscriptionDocuments {
  readonly #cache = new Map<string, CachedDocument>();
  readonly #cost: QueryCost;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly rules: SubscriptionRules,
  ) {
    this.#cost = new QueryCost(schema, rules.maxQueryNodes);
  }

  async prepare(payload: SubscribePayload): Promise<Prepared> {
    const planned = await this.#planned(payload);
    if ('errors' in planned) return planned;
    const { plan } = planned;
    const variables = payload.variables ?? undefined;
    const measured = this.#cost.measure(plan.source, plan.operation, variables);
    if ('errors' in measured) return { errors: measured.errors.map(requestError) };
    if (measured.refusal) return { errors: [measured.refusal] };
    const target = subscriptionTarget(this.schema, plan, variables);
    if ('errors' in target) return { errors: target.errors.map(requestError) };
    return { plan, target: target.target, cost: measured.cost };
  }

  async #planned(payload: SubscribePayload): Promise<Planned> {
    const { persisted, persistedOnly } = this.rules;
    if (persistedOnly && !persisted?.allows(payload)) {
      return {
        errors: [
          clientError(
            'BAD_USER_INPUT',
            'This server accepts only its persisted operations: send one of them, as its exact text or by its hash.',
          ),
        ],
      };
    }
    const text = await this.#text(payload);
    if (text === undefined) {
      return {
        errors: [clientError('BAD_USER_INPUT', 'Unknown persisted operation: send its text.')],
      };
    }
    const cached = this.#document(text);
    if (!cached.document) return { errors: cached.errors! };
    const name = payload.operationName ?? undefined;
    let prepared = cached.plans.get(name ?? '');
    if (!prepared) {
      prepared = this.#plan(cached.document, name);
      cached.plans.set(name ?? '', prepared);
    }
    return prepared;
  }

  async #text(payload: SubscribePayload): Promise<string | undefined> {
    if (typeof payload.query === 'string' && payload.query !== '') return payload.query;
    const hash = (payload.extensions?.['persistedQuery'] as { sha256Hash?: unknown } | undefined)
      ?.sha256Hash;
    const { persisted } = this.rules;
    if (typeof hash !== 'string' || !persisted) return undefined;
    return persisted.store.get(`apq:${hash}`);
  }

  #document(text: string): CachedDocument {
    const hit = this.#cache.get(text);
    if (hit) {
      this.#cache.delete(text);
      this.#cache.set(text, hit);
      return hit;
    }
    const entry: CachedDocument = { plans: new Map() };
    try {
      const document = parse(text, { maxTokens: DOCUMENT_LIMITS.maxTokens });
      const errors = validate(this.schema, document, [...specifiedRules, documentLimitsRule]);
      if (errors.length > 0)
        entry.errors = errors.map((e) => requestError(this.#hideSuggestion(e)));
      else entry.document = document;
    } catch (err) {
      if (!(err instanceof GraphQLError)) throw err;
      entry.errors = [tokenLimitRefusal(err) ?? requestError(err)];
    }
    this.#cache.set(text, entry);
    if (this.#cache.size > MAX_CACHED_DOCUMENTS) {
      this.#cache.delete(this.#cache.keys().next().value!);
    }
    return entry;
  }

  #hideSuggestion(error: GraphQLError): GraphQLError {
    if (!this.rules.hideSuggestions || !SUGGESTION.test(error.message)) return error;
    return new GraphQLError(error.message.replace(SUGGESTION, ''), {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      extensions: error.extensions,
    });
  }

  #plan(document: DocumentNode, operationName: string | undefined): Planned {
    try {
      return { plan: planJobRead(this.schema, document, operationName) };
    } catch (err) {
      if (!(err instanceof NotAJobSubscriptionError)) throw err;
      return { errors: [clientError('BAD_USER_INPUT', err.message)] };
    }
  }
}
