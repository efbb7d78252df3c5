/**
 * The API process's one LISTEN connection, shared by every socket. It hears
 * `heimdex_job_events` ({org_id, job_id}, sent by the ledger trigger of
 * sql/migrations/000017_job_event_notifications.sql at commit) and hands each
 * to the fan-out.
 *
 * LISTEN is session state, so this is a connection of its own, never one
 * from the request pool, and it must reach PostgreSQL directly (PgBouncer in
 * transaction mode would give the LISTEN to a server connection it then
 * lends to others). When it is lost (the server restarts, an admin runs
 * pg_terminate_backend, a heartbeat goes unanswered) it reconnects with
 * backoff; once it listens again the fan-out re-reads what may have changed
 * meanwhile, from shortly before the last moment the connection was known
 * to be alive, by the database's clock.
 */
import pg from 'pg';
import type { Logger } from '../../runtime/logger.js';
import { isUuid } from '../../runtime/uuid.js';
import type { JobNotification } from './jobFanout.js';

export const JOB_EVENTS_CHANNEL = 'heimdex_job_events';

/**
 * A transaction may commit a while after its ledger row's `ts` (statement
 * time, the API's statement timeout is 5 s by default): the resync looks back
 * this far before the last moment the connection was alive.
 */
const RESYNC_MARGIN_MS = 10_000;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

export interface JobNotificationListenerOptions {
  url: string;
  logger: Logger;
  onNotification(notification: JobNotification): void;
  /** The connection is back after a loss: notifications since `since` may be missing. */
  onResync(since: Date): void;
  /** How often the connection proves it is alive (and how long it may take). */
  heartbeatMs: number;
}

function parsePayload(payload: string | undefined): JobNotification | undefined {
  try {
    const { org_id: orgId, job_id: jobId } = JSON.parse(payload ?? '') as Record<string, unknown>;
    if (isUuid(orgId) && isUuid(jobId)) return { orgId, jobId };
  } catch {
    // not ours: reported below
  }
  return undefined;
}

export class JobNotificationListener {
  #client: pg.Client | undefined;
  #stopped = false;
  /** Database time at which the connection last answered. */
  #aliveAt: Date | undefined;
  #lostSince: Date | undefined;
  #retryMs = RECONNECT_MIN_MS;
  #retry: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  /** Successful connections so far (1 + reconnects). */
  connects = 0;

  constructor(private readonly options: JobNotificationListenerOptions) {}

  /** Listens, or keeps trying in the background; resolves after the first attempt. */
  async start(): Promise<void> {
    await this.#connect();
  }

  /** Whether the connection is up and listening. */
  get listening(): boolean {
    return this.#client !== undefined && this.#aliveAt !== undefined;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    clearInterval(this.#heartbeat);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    const { logger } = this.options;
    const client = new pg.Client({
      connectionString: this.options.url,
      application_name: 'heimdex-api listen',
      keepAlive: true,
    });
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client));
    client.on('notification', ({ channel, payload }) => {
      if (channel !== JOB_EVENTS_CHANNEL) return;
      const notification = parsePayload(payload);
      if (notification) this.options.onNotification(notification);
      else logger.warn({ channel, payload }, 'unexpected job event notification ignored');
    });
    this.#client = client;
    try {
      await client.connect();
      await client.query(`listen ${JOB_EVENTS_CHANNEL}`);
      const { rows } = await client.query<{ now: Date }>('select now()');
      this.#aliveAt = rows[0]!.now;
    } catch (err) {
      this.#lost(client, err);
      return;
    }
    if (this.#stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.connects++;
    this.#retryMs = RECONNECT_MIN_MS;
    clearInterval(this.#heartbeat);
    this.#heartbeat = setInterval(() => void this.#beat(client), this.options.heartbeatMs);
    this.#heartbeat.unref();
    const lostSince = this.#lostSince;
    this.#lostSince = undefined;
    if (lostSince) {
      logger.info({ lostSince }, 'job event listener reconnected; resyncing subscriptions');
      this.options.onResync(new Date(lostSince.getTime() - RESYNC_MARGIN_MS));
    } else {
      logger.debug({ channel: JOB_EVENTS_CHANNEL }, 'listening for job events');
    }
  }

  async #beat(client: pg.Client): Promise<void> {
    const timeout = setTimeout(() => {
      this.#lost(client, new Error('the LISTEN connection did not answer its heartbeat'));
      void client.end().catch(() => undefined);
    }, this.options.heartbeatMs);
    try {
      const { rows } = await client.query<{ now: Date }>('select now()');
      if (this.#client === client) this.#aliveAt = rows[0]!.now;
    } catch (err) {
      this.#lost(client, err);
    } finally {
      clearTimeout(timeout);
    }
  }

  /** Idempotent per client: the first sign of loss schedules one reconnect. */
  #lost(client: pg.Client, err?: unknown): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    clearInterval(this.#heartbeat);
    client.removeAllListeners('notification');
    // Still connected but failing: close it (errors after this are ignored).
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.#stopped) return;
    // Since when notifications may be missing: the last moment it answered.
    this.#lostSince ??= this.#aliveAt ?? new Date();
    this.#aliveAt = undefined;
    this.options.logger.warn(
      { err, retryInMs: this.#retryMs },
      'job event listener lost its connection; reconnecting',
    );
    this.#retry = setTimeout(() => void this.#connect(), this.#retryMs);
    this.#retryMs = Math.min(this.#retryMs * 2, RECONNECT_MAX_MS);
  }
}
