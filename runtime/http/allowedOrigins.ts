/**
 * Which browser origins may call the API (CORS_ORIGINS) and open its
 * WebSockets (WS_ALLOWED_ORIGINS, the same list unless set apart). An entry
 * is an exact origin (`https://app.example.com`), or a host on any port
 * (`http://localhost:*`, local mode's default); `*` (any origin) only where
 * the caller allows it.
 */
export type AllowedOrigins = '*' | readonly string[];

/** local mode's default: any port on the loopback names a dev server uses. */
export const LOCAL_ORIGINS: readonly string[] = ['http://localhost:*', 'http://127.0.0.1:*'];

const ANY_PORT = /^(https?):\/\/([^/:@?#*]+):\*$/i;

/** One entry of the list, normalised; throws on anything that is not an origin. */
function parseEntry(entry: string): string {
  const anyPort = ANY_PORT.exec(entry);
  if (anyPort) {
    const host = new URL(`${anyPort[1]}://${anyPort[2]}`).hostname;
    return `${anyPort[1]!.toLowerCase()}://${host}:*`;
  }
  const url = new URL(entry);
  // An origin has no path, query, fragment or credentials; `null` (file:, data:) is no origin.
  const extra = url.pathname !== '/' || url.search || url.hash || url.username || url.password;
  if (url.origin === 'null' || extra || entry.endsWith('?') || entry.endsWith('#')) {
    throw new TypeError(`${entry} is not an origin`);
  }
  return url.origin;
}

/**
 * A comma-separated list as the environment gives it. Throws a TypeError
 * naming the entry that is not an origin (or `*` when `anyAllowed` is false).
 */
export function parseAllowedOrigins(value: string, anyAllowed: boolean): AllowedOrigins {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.includes('*')) {
    if (!anyAllowed) throw new TypeError('* is not an origin');
    return '*';
  }
  return entries.map(parseEntry);
}

/** Whether a browser's `Origin` header is on the list. */
export function originAllowed(allowed: AllowedOrigins, origin: string): boolean {
  if (allowed === '*') return true;
  for (const entry of allowed) {
    if (entry === origin) return true;
    if (entry.endsWith(':*')) {
      const host = entry.slice(0, -1);
      if (origin === host.slice(0, -1)) return true;
      if (origin.startsWith(host) && /^\d{1,5}$/.test(origin.slice(host.length))) return true;
    }
  }
  return false;
}
