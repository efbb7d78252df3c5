/**
 * graphql-ws's protocol server (`makeServer`) on the `ws` package's sockets.
 * The library's own `useServer` does the same, but writes failures to
 * `console.error`; here they go to the one logger, and a socket that breaks
 * a protocol limit (say a message over `maxPayload`, which `ws` closes with
 * 1009 itself) is a warning, not an internal error.
 *
 * Keep-alive: a ping every `keepAliveMs`; a socket that has not answered the
 * previous ping by then is gone (a dead peer, a dropped network path) and is
 * terminated, which frees its subscriptions.
 */
import type { IncomingMessage } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import { CloseCode, makeServer, type ServerOptions } from 'graphql-ws';
import type { Logger } from '../../runtime/logger.js';

export interface SocketExtra {
  socket: WebSocket;
  request: IncomingMessage;
}

export function serveGraphqlWs(
  wss: WebSocketServer,
  options: ServerOptions<Record<string, unknown>, SocketExtra>,
  { keepAliveMs, logger }: { keepAliveMs: number; logger: Logger },
): void {
  const server = makeServer(options);
  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    socket.on('error', (err) => logger.warn({ err }, 'websocket error; closed'));
    let answered = true;
    const keepAlive = setInterval(() => {
      if (!answered) return socket.terminate();
      answered = false;
      socket.ping();
    }, keepAliveMs);
    socket.on('pong', () => {
      answered = true;
    });
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (err) => (err ? reject(err) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (receive) =>
          socket.on('message', (data: Buffer) => {
            receive(data.toString()).catch((err: unknown) => {
              logger.error({ err }, 'websocket message failed');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            });
          }),
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => {
      clearInterval(keepAlive);
      closed(code, reason.toString()).catch((err: unknown) =>
        logger.error({ err }, 'websocket close handling failed'),
      );
    });
  });
}
