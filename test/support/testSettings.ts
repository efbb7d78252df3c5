/** Test-only settings (validated by the one config module, which reads the environment). */
import { str } from 'envalid';
import { loadSettings, postgresUrl } from '../../runtime/config.js';

export function loadTestSettings(source?: NodeJS.ProcessEnv): {
  databaseUrl: string | undefined;
  templateDatabase: string | undefined;
} {
  const e = loadSettings(
    {
      TEST_DATABASE_URL: postgresUrl({ default: undefined }),
      HEIMDEX_TEST_TEMPLATE: str({ default: undefined }),
    },
    source,
  );
  return { databaseUrl: e.TEST_DATABASE_URL, templateDatabase: e.HEIMDEX_TEST_TEMPLATE };
}
