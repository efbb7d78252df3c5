/**
 * A raw `graphql-transport-ws` client over a real WebSocket (the `ws`
 * package), written out so tests see every frame and close code as the
 * server sent it.
 */
import { once } from 'node:events';
import WebSocket from 'ws';

export interface Message {
  type: string;
  id?: string;
  payload?: unknown;
}

export interface Closed {
  code: number;
  reason: string;
}

export interface NextPayload {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

export class GraphqlSocket {
  readonly messages: Message[] = [];
  readonly closed: Promise<Closed>;
  #listeners = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.messages.push(JSON.parse(data.toString()) as Message);
      for (const listener of this.#listeners) listener();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const listener of this.#listeners) listener();
      });
    });
  }

  /** Opens the socket; rejects with the HTTP status when the upgrade is refused. */
  static async open(baseUrl: string, headers: Record<string, string> = {}): Promise<GraphqlSocket> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', {
      headers,
    });
    const refused = new Promise<never>((_, reject) => {
      ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade refused: ${res.statusCode}`)),
      );
      ws.once('error', reject);
    });
    await Promise.race([once(ws, 'open'), refused]);
    return new GraphqlSocket(ws);
  }

  /** Opens, sends `connection_init` with this token and waits for the ack. */
  static async connect(
    baseUrl: string,
    token: string,
    headers: Record<string, string> = {},
  ): Promise<GraphqlSocket> {
    const socket = await GraphqlSocket.open(baseUrl, headers);
    socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
    const ack = await socket.waitFor((m) => m.type === 'connection_ack');
    if (!ack) throw new Error(`no connection_ack: closed ${JSON.stringify(await socket.closed)}`);
    return socket;
  }

  send(message: Message): void {
    this.ws.send(JSON.stringify(message));
  }

  subscribe(id: string, query: string, variables?: Record<string, unknown>): void {
    this.send({ type: 'subscribe', id, payload: { query, variables } });
  }

  /** The first message (already received or to come) matching; undefined if the socket closes first. */
  waitFor(match: (m: Message) => boolean, timeoutMs = 15_000): Promise<Message | undefined> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.messages.find(match);
        if (found || this.ws.readyState === WebSocket.CLOSED) {
          this.#listeners.delete(listener);
          clearTimeout(timer);
          resolve(found);
          return true;
        }
        return false;
      };
      const listener = (): void => void check();
      const timer = setTimeout(() => {
        this.#listeners.delete(listener);
        reject(new Error(`timed out waiting for a message; got ${JSON.stringify(this.messages)}`));
      }, timeoutMs);
      if (!check()) this.#listeners.add(listener);
    });
  }

  /** Every `next` payload of subscription `id` until it completes or errors; then that end. */
  async until(id: string, timeoutMs = 15_000): Promise<{ nexts: NextPayload[]; end: Message }> {
    const end = await this.waitFor(
      (m) => m.id === id && (m.type === 'complete' || m.type === 'error'),
      timeoutMs,
    );
    if (!end)
      throw new Error(`socket closed before ${id} ended: ${JSON.stringify(await this.closed)}`);
    return { nexts: this.nexts(id), end };
  }

  nexts(id: string): NextPayload[] {
    return this.messages
      .filter((m) => m.id === id && m.type === 'next')
      .map((m) => m.payload as NextPayload);
  }

  close(): Promise<Closed> {
    this.ws.close();
    return this.closed;
  }
}
