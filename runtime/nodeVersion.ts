/**
 * The oldest Node.js this service runs on (graphile-worker 0.18 needs 22.18;
 * PostGraphile 5 needs 22). On an older one some engines fail only at
 * request time, with errors that name nothing useful, so processes refuse
 * to start instead.
 */
import { ConfigError } from './config.js';

export const MINIMUM_NODE = { major: 22, minor: 18 } as const;

export function assertSupportedNode(version: string = process.versions.node): void {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major > MINIMUM_NODE.major || (major === MINIMUM_NODE.major && minor >= MINIMUM_NODE.minor)) {
    return;
  }
  throw new ConfigError(
    `Node.js ${version} is too old: Heimdex needs ${MINIMUM_NODE.major}.${MINIMUM_NODE.minor} or later. ` +
      'Run it through npm (`npm start`, `npm run ...`: the project brings Node 24), `npx node ...`, or `nvm use` (.nvmrc).',
  );
}
