/**
 * PostGraphile v5 standalone (grafserv on node http) for the benchmark: the
 * gateway's PostGraphile preset, the same token verification, and the
 * claims as pgSettings through PostGraphile's stock pg adaptor. For W3 it
 * exposes the bench database's app_public.bench_create_job (a custom mutation,
 * as a PostGraphile user would write one), which calls the same
 * app_private.create_job as the gateway's createJob: the same writes.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'grafserv/node';
import { loadConfig } from '../../runtime/config.js';
import { createLogger } from '../../runtime/logger.js';
import { roleUrl } from '../../runtime/db/roleUrls.js';
import { bearerToken } from '../../server/auth/bearerToken.js';
import { createTokenVerifier } from '../../server/auth/tokenVerifier.js';
import { DATABASE_ROLE, type RequestClaims } from '../../server/auth/claims.js';
import { makePgPreset } from '../../schema/postgraphile/preset.js';
import { runMain } from '../../runtime/process/runMain.js';

const claimsByRequest = new WeakMap<IncomingMessage, RequestClaims>();

await runMain('postgraphile-standalone', async ({ onShutdown }) => {
  const config = loadConfig();
  const logger = createLogger({ ...config, service: 'postgraphile-standalone' });
  const verifier = createTokenVerifier(config.auth, logger);
  const pgService = makePgService({
    connectionString: roleUrl(config.database, 'api'),
    schemas: ['app_public'],
    pubsub: false,
    poolConfig: { max: config.database.poolMax },
    pgSettings(requestContext) {
      const claims = requestContext.node ? claimsByRequest.get(requestContext.node.req) : undefined;
      if (!claims) return {};
      return {
        role: DATABASE_ROLE[claims.role],
        'jwt.claims.org_id': claims.orgId,
        'jwt.claims.sub': claims.sub,
        'jwt.claims.role': claims.role,
        statement_timeout: String(config.database.statementTimeoutMs),
      };
    },
  });
  const preset = makePgPreset(pgService);
  const pgl = postgraphile(preset);
  const handler = pgl.createServ(grafserv).createHandler();
  const server = createServer((req, res) => {
    verifier
      .verify(bearerToken(req.headers.authorization))
      .then((claims) => {
        claimsByRequest.set(req, claims);
        return handler(req, res);
      })
      .catch(() => {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"errors":[{"message":"unauthenticated"}]}');
      });
  });
  onShutdown(async () => {
    server.close();
    verifier.close();
    await pgl.release();
  });
  await new Promise<void>((resolve) => server.listen(config.http.port, config.http.host, resolve));
  logger.info({ port: config.http.port }, 'listening');
});
