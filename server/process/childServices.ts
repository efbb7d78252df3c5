/**
 * The processes `npm start` runs in local mode, each a separate Node process
 * as it is deployed (a separate service). Add an entry to run another one.
 */
export interface ChildService {
  name: string;
  /** Compiled entry point, relative to the project root. */
  script: string;
}

export const LOCAL_SERVICES: readonly ChildService[] = [
  { name: 'api', script: 'dist/server/bin/api.js' },
  { name: 'worker', script: 'dist/worker/main.js' },
];
