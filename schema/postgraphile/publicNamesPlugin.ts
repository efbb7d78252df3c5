/**
 * Inflection for the public schema: `Job.id` is the row's UUID (no Relay
 * global ids, so no `rowId`), root collections are plain plurals (`jobs`),
 * enum values are CONSTANT_CASE, and collection types read as plurals
 * (`JobsConnection`, `JobsEdge`, `JobsOrderBy`).
 */
export const PublicNamesPlugin: GraphileConfig.Plugin = {
  name: 'HeimdexPublicNamesPlugin',
  version: '1.0.0',
  inflection: {
    replace: {
      _attributeName(previous, _options, details) {
        return previous!({ ...details, skipRowId: true });
      },
      _allRows(_previous, _options, resource) {
        return this.camelCase(this.pluralize(this._singularizedResourceName(resource)));
      },
      enumValue(previous, _options, value, codec) {
        return this.constantCase(previous!(value, codec));
      },
      connectionType(_previous, _options, typeName) {
        return `${this.pluralize(typeName)}Connection`;
      },
      edgeType(_previous, _options, typeName) {
        return `${this.pluralize(typeName)}Edge`;
      },
      orderByType(_previous, _options, typeName) {
        return `${this.pluralize(typeName)}OrderBy`;
      },
    },
  },
};
