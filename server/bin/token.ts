/**
 * `npm run token -- --org <uuid> --sub <id> [--role viewer|member|admin]`:
 * prints a dev token (HS256, DEV_JWT_SECRET, else the secret `npm start`
 * uses). Local mode only: HEIMDEX_ENV unset means local here.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadLocalConfig } from '../../runtime/config.js';
import { APP_ROLES, type AppRole } from '../auth/claims.js';
import { signDevToken } from '../auth/devToken.js';
import { isUuid } from '../../runtime/uuid.js';
import { runMain } from '../../runtime/process/runMain.js';

const USAGE = 'usage: npm run token -- --org <uuid> --sub <id> [--role viewer|member|admin]';

await runMain('token', async () => {
  const config = loadLocalConfig();
  if (config.env !== 'local' || config.auth.provider !== 'dev') {
    throw new ConfigError(
      `dev tokens exist only in local mode with AUTH_PROVIDER=dev (HEIMDEX_ENV is ${config.env}); use your identity provider's tokens`,
    );
  }
  const { values } = parseArgs({
    options: { org: { type: 'string' }, sub: { type: 'string' }, role: { type: 'string' } },
  });
  const role = values.role ?? 'member';
  if (!values.org || !isUuid(values.org) || !values.sub || !APP_ROLES.includes(role as AppRole)) {
    throw new ConfigError(USAGE);
  }
  const token = await signDevToken(config.auth.secret, {
    orgId: values.org,
    sub: values.sub,
    role: role as AppRole,
  });
  process.stdout.write(`${token}\n`);
});
