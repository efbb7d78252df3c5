/**
 * The processes `npm start` runs in local mode, each a separate Node process
 * as it is deployed (a separate service). Add an entry to run another one.
 */
import type { ChildService } from '../runtime/process/childProcess.js';

export const LOCAL_SERVICES: readonly ChildService[] = [
  { name: 'api', script: 'dist/server/bin/api.js' },
  { name: 'worker', script: 'dist/worker/main.js' },
];
