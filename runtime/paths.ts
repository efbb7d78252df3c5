/** Where the project's files are, from the compiled module's location (dist/runtime/paths.js). */
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

export function sqlDir(...parts: string[]): string {
  return path.join(projectRoot, 'sql', ...parts);
}
