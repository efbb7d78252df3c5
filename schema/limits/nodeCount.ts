/**
 * How many nodes an operation may return, counted the way public GraphQL
 * APIs count it, before anything runs:
 *
 * - a connection (a field with `first` whose type has `pageInfo`) returns a
 *   page: its `nodes`, and its `edges`' `node`s, count once per row of the
 *   page, times what each row selects below;
 * - the page is `first`/`last` (a literal or a variable; both: the smaller),
 *   else the server's default page (schema/postgraphile/pageSizePlugin.ts);
 * - every other object field counts 1 each time it is returned; scalars,
 *   `__typename`, introspection and the connection's own shells (the
 *   connection, its edges, `pageInfo`) count nothing;
 * - fragments and inline fragments are expanded, aliases count separately,
 *   fields with the same response key merge as GraphQL executes them, and
 *   `@skip`/`@include` apply with their variables' values.
 *
 * `jobs(first: 100) { nodes { id events(first: 20) { nodes { id } } } }` is
 * 100 * (1 + 20) = 2,100. The walk over the document is done once per
 * document and operation; what depends on variables is kept as a small tree
 * that per request is only arithmetic over the coerced values.
 */
import {
  getNamedType,
  getNullableType,
  isAbstractType,
  isLeafType,
  isListType,
  isObjectType,
  Kind,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { defaultPageSize, MAX_PAGE_SIZE } from '../postgraphile/pageSizePlugin.js';

/** Variable values after coercion, by name. */
export type Variables = Readonly<Record<string, unknown>>;

/** A compiled count: a number, or arithmetic over the variables. */
interface Count {
  /** The variables the count depends on (none: it is a constant). */
  readonly variables: ReadonlySet<string>;
  evaluate(variables: Variables): number;
}

/** A field is returned when one of its occurrences has all its conditions true. */
type Condition = { variable: string; whenTrue: boolean };

interface Occurrence {
  node: FieldNode;
  conditions: readonly Condition[];
}

const CONSTANT_ZERO: Count = constant(0);

function constant(value: number): Count {
  return { variables: new Set(), evaluate: () => value };
}

function sum(terms: Count[]): Count {
  const live = terms.filter((term) => term !== CONSTANT_ZERO);
  if (live.length === 0) return CONSTANT_ZERO;
  const variables = new Set(live.flatMap((term) => [...term.variables]));
  if (variables.size === 0) return constant(live.reduce((total, t) => total + t.evaluate({}), 0));
  return {
    variables,
    evaluate: (values) => live.reduce((total, term) => total + term.evaluate(values), 0),
  };
}

/** `literal`: a page size known from the document; else read from `variable`. */
type PageSize = { literal: number } | { variables: string[]; fallback: number; literals: number[] };

function times(page: PageSize, perRow: Count): Count {
  if ('literal' in page) {
    return perRow.variables.size === 0
      ? constant(page.literal * perRow.evaluate({}))
      : { variables: perRow.variables, evaluate: (v) => page.literal * perRow.evaluate(v) };
  }
  const rows = (values: Variables): number => {
    const given = [
      ...page.literals,
      ...page.variables
        .map((name) => values[name])
        .filter((v): v is number => typeof v === 'number'),
    ];
    return given.length === 0 ? page.fallback : Math.max(0, Math.min(...given));
  };
  return {
    variables: new Set([...page.variables, ...perRow.variables]),
    evaluate: (values) => rows(values) * perRow.evaluate(values),
  };
}

/** Counts only when one of the occurrences' condition sets holds. */
function when(occurrences: readonly Occurrence[], count: Count): Count {
  if (occurrences.some((o) => o.conditions.length === 0)) return count;
  const variables = new Set([
    ...count.variables,
    ...occurrences.flatMap((o) => o.conditions.map((c) => c.variable)),
  ]);
  const holds = (values: Variables) =>
    occurrences.some((o) =>
      o.conditions.every((c) => (values[c.variable] === true) === c.whenTrue),
    );
  return { variables, evaluate: (values) => (holds(values) ? count.evaluate(values) : 0) };
}

/** `@skip`/`@include` of a selection: `false` when a literal excludes it, else its variable conditions. */
function conditionsOf(directives: readonly DirectiveNode[] | undefined): Condition[] | false {
  const conditions: Condition[] = [];
  for (const directive of directives ?? []) {
    const name = directive.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const value = directive.arguments?.find((a) => a.name.value === 'if')?.value;
    if (!value) continue;
    const included = name === 'include';
    if (value.kind === Kind.BOOLEAN) {
      if (value.value !== included) return false;
    } else if (value.kind === Kind.VARIABLE) {
      conditions.push({ variable: value.name.value, whenTrue: included });
    }
  }
  return conditions;
}

function pageArgument(value: ValueNode | undefined): number | string | undefined {
  if (value?.kind === Kind.INT) return Number(value.value);
  if (value?.kind === Kind.VARIABLE) return value.name.value;
  return undefined;
}

/** The rows a connection field returns, from `first`/`last` or the default page. */
function pageSize(node: FieldNode, onQueryRoot: boolean): PageSize {
  const literals: number[] = [];
  const variables: string[] = [];
  for (const name of ['first', 'last']) {
    const value = pageArgument(node.arguments?.find((a) => a.name.value === name)?.value);
    if (typeof value === 'number') literals.push(Math.max(0, value));
    else if (typeof value === 'string') variables.push(value);
  }
  const fallback = defaultPageSize(onQueryRoot);
  if (variables.length === 0) {
    return { literal: literals.length === 0 ? fallback : Math.min(...literals) };
  }
  return { variables, fallback, literals };
}

/** The connection's object type when `field` is one (it has `first` and its type has `pageInfo`). */
function connectionType(field: GraphQLField<unknown, unknown>): GraphQLObjectType | undefined {
  const type = getNamedType(field.type);
  if (!isObjectType(type) || !field.args.some((a) => a.name === 'first')) return undefined;
  return type.getFields()['pageInfo'] ? type : undefined;
}

class Compiler {
  readonly #connectionShells = new Set<GraphQLNamedType>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  ) {}

  /** Groups the fields of selection sets by response key, expanding fragments. */
  collect(
    sets: ReadonlyArray<{ set: SelectionSetNode; conditions: readonly Condition[] }>,
  ): Map<string, Occurrence[]> {
    const byKey = new Map<string, Occurrence[]>();
    const visit = (set: SelectionSetNode, outer: readonly Condition[]): void => {
      for (const selection of set.selections) {
        const own = conditionsOf(selection.directives);
        if (own === false) continue;
        const conditions = own.length === 0 ? outer : [...outer, ...own];
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          const list = byKey.get(key) ?? [];
          list.push({ node: selection, conditions });
          byKey.set(key, list);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          visit(selection.selectionSet, conditions);
        } else {
          const fragment = this.fragments.get(selection.name.value);
          if (fragment) visit(fragment.selectionSet, conditions);
        }
      }
    };
    for (const { set, conditions } of sets) visit(set, conditions);
    return byKey;
  }

  /** What one occurrence of `type` with these selections counts (itself excluded). */
  selections(type: GraphQLNamedType, occurrences: readonly Occurrence[], rows?: PageSize): Count {
    const sets = occurrences.flatMap(({ node, conditions }) =>
      node.selectionSet ? [{ set: node.selectionSet, conditions }] : [],
    );
    const onQueryRoot = type === this.schema.getQueryType();
    const terms: Count[] = [];
    for (const group of this.collect(sets).values()) {
      const name = group[0]!.node.name.value;
      const field = name.startsWith('__') ? undefined : this.#fieldOf(type, name);
      if (field) terms.push(when(group, this.field(field, group, onQueryRoot, rows)));
    }
    return sum(terms);
  }

  /** The field `name` of an object type; of an interface or union, of the first possible type that has it. */
  #fieldOf(type: GraphQLNamedType, name: string): GraphQLField<unknown, unknown> | undefined {
    if (isObjectType(type)) return type.getFields()[name];
    if (!isAbstractType(type)) return undefined;
    for (const possible of this.schema.getPossibleTypes(type)) {
      const field = possible.getFields()[name];
      if (field) return field;
    }
    return undefined;
  }

  field(
    field: GraphQLField<unknown, unknown>,
    group: readonly Occurrence[],
    onQueryRoot: boolean,
    /** Set inside a connection: the rows of its page. */
    rows: PageSize | undefined,
  ): Count {
    const type = getNamedType(field.type);
    if (isLeafType(type)) return CONSTANT_ZERO;
    const connection = connectionType(field);
    if (connection) {
      this.#markShells(connection);
      return this.selections(connection, group, pageSize(group[0]!.node, onQueryRoot));
    }
    const self = this.#connectionShells.has(type) ? CONSTANT_ZERO : constant(1);
    const perItem = sum([self, this.selections(type, group)]);
    if (!isListType(getNullableType(field.type))) return perItem;
    // A list: a connection's page, else (no list outside connections today) the largest page.
    return times(rows ?? { literal: MAX_PAGE_SIZE }, perItem);
  }

  /** A connection, its edge type and PageInfo are wrappers, not nodes. */
  #markShells(connection: GraphQLObjectType): void {
    this.#connectionShells.add(connection);
    const fields = connection.getFields();
    for (const name of ['edges', 'pageInfo']) {
      const field = fields[name];
      if (field) this.#connectionShells.add(getNamedType(field.type));
    }
  }
}

/** Node counts of operations, compiled once per document and operation. */
export class NodeCounter {
  readonly #compiled = new WeakMap<DocumentNode, Map<string | null, Count>>();

  constructor(private readonly schema: GraphQLSchema) {}

  /** The compiled count of `operation` in `document` (validated against the schema). */
  compile(document: DocumentNode, operation: OperationDefinitionNode): Count {
    let byOperation = this.#compiled.get(document);
    if (!byOperation) this.#compiled.set(document, (byOperation = new Map()));
    const key = operation.name?.value ?? null;
    let count = byOperation.get(key);
    if (!count) {
      const fragments = new Map(
        document.definitions
          .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
          .map((d) => [d.name.value, d]),
      );
      const root = this.schema.getRootType(operation.operation);
      const compiler = new Compiler(this.schema, fragments);
      const top: Occurrence = {
        node: {
          kind: Kind.FIELD,
          name: { kind: Kind.NAME, value: '' },
          selectionSet: operation.selectionSet,
        },
        conditions: [],
      };
      count = root ? compiler.selections(root, [top]) : CONSTANT_ZERO;
      byOperation.set(key, count);
    }
    return count;
  }
}
