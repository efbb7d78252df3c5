/**
 * Every `.tf` file under infra/, parsed with HashiCorp's HCL parser (the Go
 * parser compiled to WebAssembly, from @cdktf/hcl2json) into HCL's JSON form:
 * each block is a list of bodies, each expression a "${...}" string.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
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

/** The parsed `.tf` files of one folder (a Terraform module) under infra/. */
export interface TfModule {
  files: string[];
  resources: Block[];
  variables: Map<string, Body>;
  outputs: Map<string, Body>;
  locals: Body;
  /** `module "name" {}` calls by name. */
  modules: Map<string, Body>;
  /** `moved {}` blocks. */
  moved: Body[];
  parsed: Array<{ file: string; json: Body }>;
}

async function parseModule(...dir: string[]): Promise<TfModule> {
  const files = readdirSync(projectPath(...dir))
    .filter((f) => f.endsWith('.tf'))
    .sort();
  const parsed = await Promise.all(
    files.map(async (file) => ({
      file: path.join(...dir.slice(1), file),
      json: (await parse(file, readFileSync(projectPath(...dir, file), 'utf8'))) as Body,
    })),
  );
  /** `resource "t" "n" {}` (or data) as a flat list. */
  const blocks = (kind: 'resource' | 'data'): Block[] =>
    parsed.flatMap(({ file, json }) =>
      Object.entries((json[kind] ?? {}) as Body).flatMap(([type, byName]) =>
        Object.entries(byName as Body).map(([name, bodies]) => ({
          type,
          name,
          file,
          body: (bodies as Body[])[0]!,
        })),
      ),
    );
  const named = (kind: 'variable' | 'output' | 'module'): Map<string, Body> =>
    new Map(
      parsed.flatMap(({ json }) =>
        Object.entries((json[kind] ?? {}) as Body).map(([n, b]) => [n, (b as Body[])[0]!] as const),
      ),
    );
  return {
    files: parsed.map((p) => p.file),
    resources: blocks('resource'),
    variables: named('variable'),
    outputs: named('output'),
    locals: Object.assign({}, ...parsed.flatMap(({ json }) => (json.locals ?? []) as Body[])),
    modules: named('module'),
    moved: parsed.flatMap(({ json }) => (json.moved ?? []) as Body[]),
    parsed,
  };
}

/** infra/ itself, and the module every Cloud Run process is made from. */
export const root = await parseModule('infra');
export const cloudRunModule = await parseModule('infra', 'modules', 'cloud_run');

export const tfFiles = [...root.files, ...cloudRunModule.files];
export const resources = [...root.resources, ...cloudRunModule.resources];
export const { variables, outputs, locals } = root;

export function resourcesOfType(type: string): Block[] {
  return resources.filter((r) => r.type === type);
}

export function resource(type: string, name: string): Body {
  const found = resources.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`infra/ declares no ${type}.${name}`);
  return found.body;
}

/** The arguments of `module "name"` in infra/. */
export function moduleCall(name: string): Body {
  const found = root.modules.get(name);
  if (!found) throw new Error(`infra/ calls no module ${name}`);
  return found;
}

/** Every string anywhere in the parsed configuration, with its file. */
export function allStrings(): { file: string; value: string }[] {
  const out: { file: string; value: string }[] = [];
  const walk = (file: string, v: unknown): void => {
    if (typeof v === 'string') out.push({ file, value: v });
    else if (Array.isArray(v)) v.forEach((x) => walk(file, x));
    else if (v && typeof v === 'object') Object.values(v).forEach((x) => walk(file, x));
  };
  [...root.parsed, ...cloudRunModule.parsed].forEach(({ file, json }) => walk(file, json));
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
