/**
 * The client's address, for budgets kept per address. Behind proxies the
 * socket's peer is the last proxy; each trusted proxy appends the address it
 * saw to X-Forwarded-For, so with `trustedHops` proxies the client is the
 * `trustedHops`-th entry from the right. Entries further left are whatever
 * the client wrote and are never trusted.
 */
import type { IncomingMessage } from 'node:http';

export function clientAddress(req: IncomingMessage, trustedHops: number): string {
  const socket = req.socket.remoteAddress ?? 'unknown';
  if (trustedHops === 0) return socket;
  const header = req.headers['x-forwarded-for'];
  const entries = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) return socket;
  // Fewer entries than proxies: the request skipped one; take the leftmost, the farthest seen.
  return entries[Math.max(0, entries.length - trustedHops)]!;
}
