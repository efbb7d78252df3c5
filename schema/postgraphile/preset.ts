/**
 * The PostGraphile v5 preset for the read side over `app_public`. The same
 * preset serves the gateway and the standalone PostGraphile the benchmark
 * compares it with; only the pg service differs.
 */
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { changeNullability } from 'postgraphile/utils';
import { PublicNamesPlugin } from './publicNamesPlugin.js';
import { SmartTagsPlugin } from './smartTagsPlugin.js';
import { PageSizePlugin } from './pageSizePlugin.js';
import { CursorScalarPlugin } from './cursorScalarPlugin.js';

export function makePgPreset(
  pgService: GraphileConfig.PgServiceConfiguration,
): GraphileConfig.Preset {
  return {
    extends: [PostGraphileAmberPreset],
    plugins: [
      PublicNamesPlugin,
      SmartTagsPlugin,
      PageSizePlugin,
      CursorScalarPlugin,
      // A job's list and events are always there (possibly empty); the audit
      // log stays nullable: it is refused to non-admins without losing the rest.
      changeNullability({ Query: { jobs: '!' } }),
    ],
    disablePlugins: [
      // Job.id is the UUID; no Relay global object identification.
      'NodePlugin',
      'AddNodeInterfaceToSuitableTypesPlugin',
      'NodeAccessorPlugin',
      'PgTableNodePlugin',
      'QueryQueryPlugin',
      'MutationPayloadQueryPlugin',
      'PgMutationPayloadEdgePlugin',
    ],
    pgServices: [pgService],
    schema: {
      defaultBehavior: '-insert -update -delete -attribute:filterBy -attribute:orderBy -list',
      pgForbidSetofFunctionsToReturnNull: true,
    },
    grafast: { explain: false },
  };
}
