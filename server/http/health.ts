/** `GET /healthz` (the process is up; no database) and `GET /readyz` (ready for traffic). */
import type { ServerResponse } from 'node:http';
import type { Readiness, ReadinessCheck } from '../db/readiness.js';
import { sendJson } from '../../runtime/http/sendJson.js';

export function sendHealth(res: ServerResponse): void {
  sendJson(res, 200, { status: 'ok' });
}

export async function sendReadiness(
  res: ServerResponse,
  check: ReadinessCheck,
  stopping: boolean,
): Promise<void> {
  const readiness: Readiness = stopping
    ? { ready: false as const, reason: 'shutting down' }
    : await check();
  const replica = readiness.replica && { replica: readiness.replica };
  if (readiness.ready) sendJson(res, 200, { status: 'ready', ...replica });
  else sendJson(res, 503, { status: 'unavailable', reason: readiness.reason, ...replica });
}
