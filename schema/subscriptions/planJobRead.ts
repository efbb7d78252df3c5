/**
 * From a validated subscription document to the query that re-reads one job
 * for it: `subscription S($v: T) { key: jobUpdated(id: $id) { ...selection } }`
 * becomes `query S($v: T) { key: job(id: $id) { statusKey: status ...selection } }`
 * (for `jobsUpdated`, `job(id: $jobIdVariable)`, set by the fan-out). The
 * selection set, fragments and variables are the client's own, so the job
 * reads exactly as `job(id:)` would in a query, under the same RLS. The
 * added `status` (under a name the document does not use) tells the fan-out
 * when `jobUpdated` is over and what `jobsUpdated(status:)` filters on; it
 * is removed before the client sees the job.
 */
import {
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  GraphQLEnumType,
  GraphQLError,
  Kind,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { parseUuid } from '../typegraphql/scalars.js';

export const JOB_SUBSCRIPTION_FIELDS = ['jobUpdated', 'jobsUpdated'] as const;
export type JobSubscriptionField = (typeof JOB_SUBSCRIPTION_FIELDS)[number];

/** Statuses after which a job changes no more (jobUpdated completes). */
export const TERMINAL_JOB_STATUSES: ReadonlySet<string> = new Set([
  'SUCCEEDED',
  'CANCELED',
  'DEAD_LETTER',
]);

export interface JobReadPlan {
  field: JobSubscriptionField;
  /** Where the job sits in the client's result: the alias, else the field name. */
  responseKey: string;
  /** The query that re-reads the job. */
  document: DocumentNode;
  operationName: string | undefined;
  /** Response key of the status the plan adds inside the job. */
  statusKey: string;
  /** jobsUpdated: the variable the fan-out sets to the changed job's id. */
  jobIdVariable: string | undefined;
  /** The client's variables the query uses, in a fixed order. */
  variableNames: readonly string[];
  /** The client's document and operation, as validated. */
  source: DocumentNode;
  operation: OperationDefinitionNode;
  fieldNode: FieldNode;
  fieldDef: GraphQLField<unknown, unknown>;
}

/** What a subscription watches, from its arguments. */
export type JobSubscriptionTarget =
  { field: 'jobUpdated'; jobId: string } | { field: 'jobsUpdated'; status: string | undefined };

export class NotAJobSubscriptionError extends Error {
  override readonly name = 'NotAJobSubscriptionError';
}

function unusedName(document: DocumentNode, base: string): string {
  const used = new Set<string>();
  visit(document, {
    Name(node) {
      used.add(node.value);
    },
  });
  let name = base;
  for (let i = 2; used.has(name); i++) name = `${base}${i}`;
  return name;
}

/** The fragments a selection set reaches, transitively. */
function reachableFragments(
  document: DocumentNode,
  selectionSet: SelectionSetNode,
): FragmentDefinitionNode[] {
  const byName = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  const reached = new Map<string, FragmentDefinitionNode>();
  const walk = (node: SelectionSetNode | FragmentDefinitionNode) =>
    visit(node, {
      FragmentSpread(spread) {
        const name = spread.name.value;
        const fragment = byName.get(name);
        if (fragment && !reached.has(name)) {
          reached.set(name, fragment);
          walk(fragment);
        }
      },
    });
  walk(selectionSet);
  return [...reached.values()];
}

function variablesUsed(nodes: ReadonlyArray<FieldNode | FragmentDefinitionNode>): Set<string> {
  const names = new Set<string>();
  for (const node of nodes) {
    visit(node, {
      Variable(variable) {
        names.add(variable.name.value);
      },
    });
  }
  return names;
}

const name = (value: string) => ({ kind: Kind.NAME, value }) as const;

/**
 * Plans the re-read of a document already validated against `schema`.
 * Throws NotAJobSubscriptionError for anything but one of our subscriptions.
 */
export function planJobRead(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
): JobReadPlan {
  const operation = getOperationAST(document, operationName);
  if (!operation) {
    throw new NotAJobSubscriptionError(
      operationName
        ? `The document has no operation named "${operationName}".`
        : 'The document has several operations: name the one to run (operationName).',
    );
  }
  if (operation.operation !== 'subscription') {
    throw new NotAJobSubscriptionError(
      `Only subscriptions run over this socket; send ${operation.operation === 'mutation' ? 'mutations' : 'queries'} with POST /graphql.`,
    );
  }
  // Validation (SingleFieldSubscriptionsRule) leaves exactly one root field.
  const fieldNode = operation.selectionSet.selections[0];
  const subscriptionType = schema.getSubscriptionType();
  const field = fieldNode?.kind === Kind.FIELD ? fieldNode.name.value : undefined;
  const fieldDef = field ? subscriptionType?.getFields()[field] : undefined;
  if (fieldNode?.kind !== Kind.FIELD || !fieldDef || !fieldNode.selectionSet) {
    throw new NotAJobSubscriptionError('Subscribe to jobUpdated or jobsUpdated with a selection.');
  }
  const kind = fieldDef.name as JobSubscriptionField;
  const statusKey = unusedName(document, 'heimdexStatus');
  const jobIdVariable = kind === 'jobsUpdated' ? unusedName(document, 'heimdexJobId') : undefined;

  const selectionSet: SelectionSetNode = {
    kind: Kind.SELECTION_SET,
    selections: [
      { kind: Kind.FIELD, alias: name(statusKey), name: name('status') },
      ...fieldNode.selectionSet.selections,
    ],
  };
  const idArgument = jobIdVariable
    ? [
        {
          kind: Kind.ARGUMENT,
          name: name('id'),
          value: { kind: Kind.VARIABLE, name: name(jobIdVariable) },
        } as const,
      ]
    : (fieldNode.arguments ?? []).filter((a) => a.name.value === 'id');
  const jobField: FieldNode = {
    kind: Kind.FIELD,
    alias: name(fieldNode.alias?.value ?? fieldNode.name.value),
    name: name('job'),
    arguments: idArgument,
    directives: fieldNode.directives ?? [],
    selectionSet,
  };
  const fragments = reachableFragments(document, selectionSet);
  const used = variablesUsed([jobField, ...fragments]);
  const variableDefinitions = (operation.variableDefinitions ?? []).filter((d) =>
    used.has(d.variable.name.value),
  );
  if (jobIdVariable) {
    variableDefinitions.push({
      kind: Kind.VARIABLE_DEFINITION,
      variable: { kind: Kind.VARIABLE, name: name(jobIdVariable) },
      type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: name('UUID') } },
    });
  }
  const query: OperationDefinitionNode = {
    kind: Kind.OPERATION_DEFINITION,
    operation: 'query' as OperationDefinitionNode['operation'],
    name: operation.name,
    variableDefinitions,
    directives: [],
    selectionSet: { kind: Kind.SELECTION_SET, selections: [jobField] },
  };
  return {
    field: kind,
    responseKey: jobField.alias!.value,
    document: { kind: Kind.DOCUMENT, definitions: [query, ...fragments] },
    operationName: operation.name?.value,
    statusKey,
    jobIdVariable,
    variableNames: variableDefinitions
      .map((d) => d.variable.name.value)
      .filter((v) => v !== jobIdVariable),
    source: document,
    operation,
    fieldNode,
    fieldDef,
  };
}

/** PostgreSQL's text form of a UUID, which notifications carry (the UUID scalar also takes it without hyphens). */
function canonicalUuid(value: string): string {
  const hex = value.replaceAll('-', '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Coerces the client's variables and reads what the subscription watches. */
export function subscriptionTarget(
  schema: GraphQLSchema,
  plan: JobReadPlan,
  variables: Record<string, unknown> | undefined,
): { target: JobSubscriptionTarget } | { errors: readonly GraphQLError[] } {
  const coerced = getVariableValues(
    schema,
    plan.operation.variableDefinitions ?? [],
    variables ?? {},
  );
  if (coerced.errors) return { errors: coerced.errors };
  const args = getArgumentValues(plan.fieldDef, plan.fieldNode, coerced.coerced);
  if (plan.field === 'jobUpdated') {
    try {
      return { target: { field: 'jobUpdated', jobId: canonicalUuid(parseUuid(args['id'])) } };
    } catch (err) {
      if (!(err instanceof GraphQLError)) throw err;
      return {
        errors: [new GraphQLError(`jobUpdated(id:): ${err.message}`, { nodes: plan.fieldNode })],
      };
    }
  }
  const statusType = plan.fieldDef.args.find((a) => a.name === 'status')?.type;
  const status =
    args['status'] == null || !(statusType instanceof GraphQLEnumType)
      ? undefined
      : String(statusType.serialize(args['status']));
  return { target: { field: 'jobsUpdated', status } };
}
