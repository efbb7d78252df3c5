/**
 * Many GraphQL-over-WebSocket clients in one process, each a real socket
 * speaking `graphql-transport-ws` to the API, each subscribed to one
 * document. While `recording`, every `next` is kept with the time it
 * arrived (epoch milliseconds, sub-millisecond precision).
 */
import WebSocket from 'ws';

export interface Receipt {
  socket: number;
  job: { id: string; status: string; stage: string | null };
  receivedAtMs: number;
}

const nowMs = () => performance.timeOrigin + performance.now();
/** Sockets opened at once while connecting the fleet. */
const CONNECT_BATCH = 50;

export class SocketFleet {
  readonly receipts: Receipt[] = [];
  recording = false;
  readonly #sockets: WebSocket[] = [];

  private constructor() {}

  /** Opens one socket per token, each subscribing to `query` once acknowledged. */
  static async open(url: string, tokens: string[], query: string): Promise<SocketFleet> {
    const fleet = new SocketFleet();
    for (let i = 0; i < tokens.length; i += CONNECT_BATCH) {
      await Promise.all(
        tokens
          .slice(i, i + CONNECT_BATCH)
          .map((token, j) => fleet.#connect(url, i + j, token, query)),
      );
    }
    return fleet;
  }

  #connect(url: string, index: number, token: string, query: string): Promise<void> {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    this.#sockets.push(ws);
    return new Promise((resolve, reject) => {
      ws.once('error', reject);
      ws.once('close', (code, reason) =>
        reject(new Error(`socket ${index} closed ${code} ${reason.toString()}`)),
      );
      ws.once('open', () =>
        ws.send(
          JSON.stringify({
            type: 'connection_init',
            payload: { authorization: `Bearer ${token}` },
          }),
        ),
      );
      ws.on('message', (data: Buffer) => {
        const message = JSON.parse(data.toString()) as { type: string; payload?: unknown };
        if (message.type === 'connection_ack') {
          ws.send(JSON.stringify({ type: 'subscribe', id: '1', payload: { query } }));
          resolve();
        } else if (message.type === 'next' && this.recording) {
          const data = (message.payload as { data: Record<string, Receipt['job']> }).data;
          const job = Object.values(data)[0]!;
          this.receipts.push({ socket: index, job, receivedAtMs: nowMs() });
        }
      });
    });
  }

  get size(): number {
    return this.#sockets.length;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#sockets.map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocket.CLOSED) return resolve();
            ws.removeAllListeners('close');
            ws.once('close', () => resolve());
            ws.close();
          }),
      ),
    );
  }
}
