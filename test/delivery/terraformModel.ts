/**
 * Every `.tf` file under infra/, parsed with HashiCorp's HCL parser (the Go
 * parser compiled to WebAssembly, from @cdktf/hcl2json) into HCL's JSON form:
 * each block is a list of bodies, each expression a "${...}" string.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from '@cdktf/hcl2json';
import { projectPath } from './projectFiles.js';

// The JSON form is untyped by nature: a body maps names to values or blocks.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Body = Record<string, any>;

export interface Block {
  type: string;
  name: string;
  file: string;
  body: Body;
}

export const tfFiles = readdirSync(projectPath('infra'))
  .filter((f) => f.endsWith('.tf'))
  .sort();

const parsed = await Promise.all(
  tfFiles.map(async (file) => ({
    file,
    json: (await parse(file, readFileSync(projectPath('infra', file), 'utf8'))) as Body,
  })),
);

/** `resource "t" "n" {}` (or data, variable, output ... with `kind`) as a flat list. */
function blocks(kind: 'resource' | 'data'): Block[] {
  return parsed.flatMap(({ file, json }) =>
    Object.entries((json[kind] ?? {}) as Body).flatMap(([type, byName]) =>
      Object.entries(byName as Body).map(([name, bodies]) => ({
        type,
        name,
        file,
        body: (bodies as Body[])[0]!,
      })),
    ),
  );
}

function named(kind: 'variable' | 'output'): Map<string, Body> {
  return new Map(
    parsed.flatMap(({ json }) =>
      Object.entries((json[kind] ?? {}) as Body).map(([n, b]) => [n, (b as Body[])[0]!] as const),
    ),
  );
}

export const resources = blocks('resource');
export const variables = named('variable');
export const outputs = named('output');
export const locals: Body = Object.assign(
  {},
  ...parsed.flatMap(({ json }) => (json.locals ?? []) as Body[]),
);

export function resourcesOfType(type: string): Block[] {
  return resources.filter((r) => r.type === type);
}

export function resource(type: string, name: string): Body {
  const found = resources.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`infra/ declares no ${type}.${name}`);
  return found.body;
}

/** Every string anywhere in the parsed configuration, with its file. */
export function allStrings(): { file: string; value: string }[] {
  const out: { file: string; value: string }[] = [];
  const walk = (file: string, v: unknown): void => {
    if (typeof v === 'string') out.push({ file, value: v });
    else if (Array.isArray(v)) v.forEach((x) => walk(file, x));
    else if (v && typeof v === 'object') Object.values(v).forEach((x) => walk(file, x));
  };
  parsed.forEach(({ file, json }) => walk(file, json));
  return out;
}

/** The single nested block `name` of a body (HCL's JSON form wraps each in a list). */
export function child(body: Body, ...path: string[]): Body {
  return path.reduce<Body>((b, key) => {
    const next = b[key] as Body[] | undefined;
    if (!next?.[0]) throw new Error(`no ${key} block`);
    return next[0];
  }, body);
}
