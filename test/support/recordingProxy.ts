/**
 * A TCP proxy in front of PostgreSQL that records every byte a client sends:
 * what a server log, `log_statement` or `pg_stat_statements` could see.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export class RecordingProxy {
  readonly #chunks: Buffer[] = [];
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Everything clients sent so far. */
  get sent(): Buffer {
    return Buffer.concat(this.#chunks);
  }

  async listen(): Promise<number> {
    this.#server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => this.#sockets.delete(s));
      }
      client.on('data', (chunk: Buffer) => this.#chunks.push(Buffer.from(chunk)));
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    return (this.#server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }
}
