/**
 * What the delivery files (Dockerfile, Terraform, workflows) may name in the
 * project: compiled entry points under dist/ and the sources they come from.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../runtime/paths.js';

export function projectPath(...parts: string[]): string {
  return path.join(projectRoot, ...parts);
}

export function readProjectFile(...parts: string[]): string {
  return readFileSync(projectPath(...parts), 'utf8');
}

/** `dist/server/bin/api.js` -> `server/bin/api.ts`; anything else is not an entry point. */
export function sourceOfEntryPoint(distPath: string): string {
  const match = /^(?:\.\/|\/app\/)?dist\/((?:server|worker)\/[\w/-]+)\.js$/.exec(distPath);
  if (!match) throw new Error(`${distPath} is not a compiled entry point under dist/`);
  return `${match[1]}.ts`;
}

/** The entry points the image, the infrastructure and CI must agree on. */
export const ENTRY_POINTS = {
  api: 'dist/server/bin/api.js',
  worker: 'dist/worker/main.js',
  migrate: 'dist/server/bin/migrate.js',
} as const;

export function assertEntryPointExists(distPath: string): void {
  const source = sourceOfEntryPoint(distPath);
  if (!existsSync(projectPath(source))) {
    throw new Error(`${distPath} is named as a command, but its source ${source} does not exist`);
  }
}
