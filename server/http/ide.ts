/**
 * The GraphQL IDE: Ruru (PostGraphile's GraphiQL distribution) on
 * `GET /graphql` for browsers (`Accept: text/html`), on by default in local
 * mode only (IDE, runtime/config.ts). Every asset comes from this server under
 * `/ruru-static/` (the `ruru` package embeds them), so it works with no
 * internet access, and the page's Content-Security-Policy lets it load
 * nothing from anywhere else.
 *
 * With dev authentication the page comes with an `Authorization` header
 * holding a fresh dev token (the demo org, admin, 12 h), said in the first
 * lines of the editor; only for a loopback `Host`, so a page that rebinds
 * its own name to 127.0.0.1 gets none. The example operations of
 * `examples/operations/` (when the checkout has them) are in the editor.
 * The page carries no CORS header: another origin's page cannot read it.
 */
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { ruruHTML, type RuruServerConfig } from 'ruru/server';
import { getStaticFile } from 'ruru/static';
import { isLoopbackHost } from '../../runtime/config.js';
import { projectRoot } from '../../runtime/paths.js';
import { sendJson } from '../../runtime/http/sendJson.js';
import { LOCAL_DEMO_ORG, signDevToken, type DevTokenClaims } from '../auth/devToken.js';

export const IDE_STATIC_PATH = '/ruru-static/';
const DEV_TOKEN_HOURS = 12;

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "frame-ancestors 'none'",
].join('; ');

export interface Ide {
  /** Whether this request is a browser asking for the page. */
  wants(req: IncomingMessage): boolean;
  page(req: IncomingMessage, res: ServerResponse): Promise<void>;
  asset(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** The example operations, one document; `{ viewer ... }` where the checkout has none (an image). */
export async function exampleOperations(
  folder = path.join(projectRoot, 'examples/operations'),
): Promise<string> {
  try {
    const files = (await readdir(folder)).filter((file) => file.endsWith('.graphql')).sort();
    const texts = await Promise.all(files.map((file) => readFile(path.join(folder, file), 'utf8')));
    // Viewer first: it needs no variables.
    const ordered = [...texts].sort(
      (a, b) => Number(/query Viewer\b/.test(b)) - Number(/query Viewer\b/.test(a)),
    );
    if (ordered.length > 0) return ordered.map((text) => text.trim()).join('\n\n');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return 'query Viewer {\n  viewer {\n    userId\n    orgId\n    role\n  }\n}';
}

function hostName(req: IncomingMessage): string {
  try {
    return new URL(`http://${req.headers.host ?? ''}`).hostname;
  } catch {
    return '';
  }
}

interface Prefill {
  headers: Record<string, string>;
  /** The dev token, also sent by requests whose Headers have no Authorization. */
  token: string | undefined;
  /** The editor's first lines. */
  intro: string[];
}

/** JSON inside an inline script: nothing in it can close the script element. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replaceAll('<', '\\u003c');

/**
 * Ruru started with a fetcher of ours: GraphiQL introspects before its
 * Headers editor exists, so without it the first introspection goes without
 * the token and the IDE has no schema. A request whose Headers carry no
 * Authorization sends the dev token; Headers with one send theirs.
 */
function bodyInitScript(token: string | undefined): string {
  return `<script type="module">
import { React, createRoot, Ruru } from ${scriptJson(`${IDE_STATIC_PATH}ruru.js`)};
const fallback = ${scriptJson(token === undefined ? {} : { Authorization: `Bearer ${token}` })};
const fetcher = async (params, options) => {
  const headers = { ...(options && options.headers) };
  if (!Object.keys(headers).some((name) => name.toLowerCase() === "authorization")) {
    Object.assign(headers, fallback);
  }
  const response = await fetch(RURU_CONFIG.endpoint, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json", ...headers },
    body: JSON.stringify(params),
  });
  return response.json();
};
createRoot(document.getElementById("ruru-root")).render(React.createElement(Ruru, { ...RURU_CONFIG, fetcher }));
</script>`;
}

export function createIde(options: {
  /** The dev secret: the page gets a token signed with it. Unset (JWKS): the user pastes one. */
  devSecret: string | undefined;
  examples: string;
}): Ide {
  async function prefill(req: IncomingMessage): Promise<Prefill> {
    if (options.devSecret === undefined || !isLoopbackHost(hostName(req))) {
      return {
        headers: { Authorization: 'Bearer <your token>' },
        token: undefined,
        intro: ['# Put your token in the Authorization header', '# (Headers, below).'],
      };
    }
    const claims: DevTokenClaims = { orgId: LOCAL_DEMO_ORG, sub: 'local-developer', role: 'admin' };
    const token = await signDevToken(options.devSecret, claims, `${DEV_TOKEN_HOURS}h`);
    const expires = new Date(Date.now() + DEV_TOKEN_HOURS * 3_600_000).toISOString();
    return {
      headers: { Authorization: `Bearer ${token}` },
      token,
      intro: [
        '# Headers (below) hold a dev token:',
        `#   org ${claims.orgId}`,
        `#   role ${claims.role}, expires ${expires.slice(0, 19)}Z`,
        '# Another org or role: npm run token, paste it there.',
      ],
    };
  }

  return {
    wants(req) {
      return req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
    },

    async page(req, res) {
      const { headers, token, intro } = await prefill(req);
      const query = [
        '# Heimdex GraphQL IDE. Ctrl-Enter runs the operation',
        '# under the cursor.',
        ...intro,
        '',
        options.examples,
        '',
      ].join('\n');
      const html = ruruHTML({
        staticPath: IDE_STATIC_PATH,
        endpoint: '/graphql',
        clientConfig: {
          debugTools: [],
          initialHeaders: JSON.stringify(headers, null, 2),
          initialQuery: query,
          defaultQuery: query,
          isHeadersEditorEnabled: true,
          // ruru's types pick these from GraphiQL's props, which it does not ship types for.
        } as Partial<RuruServerConfig['clientConfig']> as RuruServerConfig['clientConfig'],
        htmlParts: {
          // No favicon request (a 404 in the console).
          metaTags: (original) => `${original}\n<link rel="icon" href="data:," />`,
          bodyInitScript: bodyInitScript(token),
        },
      });
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        // It holds a token: never kept.
        'cache-control': 'no-store',
        'content-security-policy': CONTENT_SECURITY_POLICY,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      });
      res.end(html);
    },

    async asset(req, res) {
      const file = await getStaticFile({
        staticPath: IDE_STATIC_PATH,
        urlPath: req.url ?? '/',
        acceptEncoding: req.headers['accept-encoding'],
        disallowDevAssets: true,
      });
      if (!file) return sendJson(res, 404, { error: 'not found' });
      if (req.headers['if-none-match'] === file.headers['etag']) {
        res.writeHead(304, { etag: file.headers['etag'] });
        res.end();
        return;
      }
      res.writeHead(200, { ...file.headers, 'x-content-type-options': 'nosniff' });
      res.end(file.content);
    },
  };
}
