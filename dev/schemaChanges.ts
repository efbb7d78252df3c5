/**
 * What a change to the committed `schema.graphql` does to the clients that
 * generated code from it, by graphql-inspector's diff: breaking changes
 * (a field, type, enum value or argument removed, a type narrowed, a nullable
 * result made non-null...), dangerous ones (an enum value or a defaulted
 * argument added: correct for the server, but a client's exhaustive switch or
 * cached default may be wrong) and safe ones. A breaking change passes only
 * when a commit of the change acknowledges it with a trailer line
 * `Schema-Breaking-Change: <why, and what clients must do>`.
 */
import { buildSchema } from 'graphql';
import { CriticalityLevel, diff, type Change } from '@graphql-inspector/core';

export interface SchemaChanges {
  breaking: Change[];
  dangerous: Change[];
  safe: Change[];
}

export async function schemaChanges(oldSdl: string, newSdl: string): Promise<SchemaChanges> {
  const changes = await diff(buildSchema(oldSdl), buildSchema(newSdl));
  const of = (level: CriticalityLevel) => changes.filter((c) => c.criticality.level === level);
  return {
    breaking: of(CriticalityLevel.Breaking),
    dangerous: of(CriticalityLevel.Dangerous),
    safe: of(CriticalityLevel.NonBreaking),
  };
}

const ACKNOWLEDGEMENT = /^Schema-Breaking-Change:[ \t]*(\S.*)$/im;

/** The reason given by the first commit message that acknowledges a breaking change. */
export function acknowledgedBreakingChange(commitMessages: readonly string[]): string | undefined {
  for (const message of commitMessages) {
    const reason = ACKNOWLEDGEMENT.exec(message)?.[1]?.trim();
    if (reason) return reason;
  }
  return undefined;
}

/** The report's lines, and whether the change may land. */
export function judgeSchemaChanges(
  changes: SchemaChanges,
  acknowledgement: string | undefined,
): { ok: boolean; lines: string[] } {
  const list = (label: string, items: Change[]) =>
    items.map((c) => `${label} ${c.path ?? ''}: ${c.message}`.replace(' :', ':'));
  const lines = [
    ...list('[breaking]', changes.breaking),
    ...list('[dangerous]', changes.dangerous),
    ...list('[safe]', changes.safe),
  ];
  if (changes.breaking.length === 0) {
    lines.push(
      `schema.graphql: no breaking change (${changes.dangerous.length} dangerous, ${changes.safe.length} safe)`,
    );
    return { ok: true, lines };
  }
  if (acknowledgement) {
    lines.push(
      `schema.graphql: ${changes.breaking.length} breaking change(s), acknowledged: ${acknowledgement}`,
    );
    return { ok: true, lines };
  }
  lines.push(
    `schema.graphql: ${changes.breaking.length} breaking change(s) for clients that generated code from it.`,
    'Keep the old shape (deprecate, then remove in a later release), or acknowledge it with a',
    'commit message trailer line: `Schema-Breaking-Change: <why, and what clients must do>`.',
  );
  return { ok: false, lines };
}
