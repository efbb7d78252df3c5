/**
 * Connections return at most MAX_PAGE_SIZE rows: `first`/`last` above it (or
 * negative) are refused as BAD_USER_INPUT. A connection asked for with
 * neither gets a default page: MAX_PAGE_SIZE at the root (`jobs`), a small
 * one below it (`Job.events`), where it multiplies with every row above.
 * The node count (schema/limits/nodeCount.ts) reads the same defaults.
 * `offset` is removed: cursors page.
 */
import { lambda, type ConnectionStep, type FieldArgs, type Step } from 'grafast';
import { HeimdexError } from '../../runtime/errors/HeimdexError.js';

export const MAX_PAGE_SIZE = 100;
/** The page of a connection below the root when neither `first` nor `last` is given. */
export const NESTED_PAGE_SIZE = 20;

/** The rows a connection returns when the client gives neither `first` nor `last`. */
export function defaultPageSize(onQueryRoot: boolean): number {
  return onQueryRoot ? MAX_PAGE_SIZE : NESTED_PAGE_SIZE;
}

function checked(name: 'first' | 'last', value: number | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (value < 0 || value > MAX_PAGE_SIZE) {
    throw new HeimdexError('BAD_USER_INPUT', `\`${name}\` must be between 0 and ${MAX_PAGE_SIZE}.`);
  }
  return value;
}

type AnyConnection = ConnectionStep<unknown, Step, Step, never, string, never>;

function applyPageSize($connection: AnyConnection, fieldArgs: FieldArgs, pageSize: number): void {
  const $first = fieldArgs.getRaw('first') as Step<number | null | undefined>;
  const $last = fieldArgs.getRaw('last') as Step<number | null | undefined>;
  $connection.setFirst(
    lambda(
      [$first, $last],
      ([first, last]) => checked('first', first) ?? (last == null ? pageSize : null),
      true,
    ),
  );
  $connection.setLast(lambda($last, (last) => checked('last', last), true));
}

export const PageSizePlugin: GraphileConfig.Plugin = {
  name: 'HeimdexPageSizePlugin',
  version: '1.0.0',
  after: ['PgFirstLastBeforeAfterArgsPlugin'],
  schema: {
    hooks: {
      GraphQLObjectType_fields_field(field, _build, context) {
        if (!context.scope.isPgFieldConnection || !field.plan) return field;
        const plan = field.plan;
        const pageSize = defaultPageSize(context.scope.isRootQuery === true);
        return {
          ...field,
          plan($parent, fieldArgs, info) {
            const $connection = plan($parent, fieldArgs, info) as AnyConnection;
            applyPageSize($connection, fieldArgs, pageSize);
            return $connection;
          },
        };
      },
      GraphQLObjectType_fields_field_args(args, _build, context) {
        if (!context.scope.isPgFieldConnection) return args;
        const kept = { ...args };
        delete kept['offset'];
        // first/last are applied by the field's plan above, not one by one.
        for (const name of ['first', 'last']) {
          const arg = kept[name];
          if (arg) kept[name] = { ...arg, applyPlan: undefined };
        }
        return kept;
      },
    },
  },
};
