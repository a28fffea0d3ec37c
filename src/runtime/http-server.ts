import http from 'node:http';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Config } from '../config.ts';
import type { AnswerTracker } from './drain.ts';

/**
 * The HTTP server with timeouts suited to long uploads: headers must arrive quickly
 * (headersTimeout), but a request body may take as long as it keeps moving (idle timeout instead
 * of a total one, unless `requestTimeoutMs` is set). The idle timeout waits on the client only: a
 * connection whose request has arrived whole, while the service is still working on its answer
 * (publishing a large upload on a busy disk), is not idle.
 */
export function createHttpServer(app: RequestListener, config: Config['server']): http.Server {
  const server = http.createServer(
    {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      keepAliveTimeout: config.keepAliveTimeoutMs,
      // Node checks headersTimeout on this interval (default 30 s): check often enough to honour it.
      connectionsCheckingInterval: Math.min(1000, config.headersTimeoutMs),
    },
    app,
  );
  const answering = new WeakMap<Socket, { req: IncomingMessage; res: ServerResponse }>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => answering.set(req.socket, { req, res }));
  server.setTimeout(config.idleTimeoutMs, (socket: Socket) => {
    const current = answering.get(socket);
    if (current && serviceIsWorking(current.req, current.res, socket)) socket.setTimeout(config.idleTimeoutMs);
    else socket.destroy();
  });
  return server;
}

/** The body is all in and the answer is unfinished with nothing waiting for the client to read. */
function serviceIsWorking(req: IncomingMessage, res: ServerResponse, socket: Socket): boolean {
  return req.complete && !res.writableEnded && socket.writableLength === 0;
}

/** Listens and resolves with the bound address as a URL. */
export function listen(server: http.Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      resolve(`http://${host.includes(':') ? `[${host}]` : host}:${bound}`);
    });
  });
}

/**
 * Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts what is left.
 * Idle keep-alive connections close at once; busy ones close after their answer, which says
 * `Connection: close` when it had not started yet.
 */
export async function closeGracefully(server: http.Server, answers: AnswerTracker, graceMs: number): Promise<void> {
  answers.closeAfterAnswers();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
  try {
    await closed;
  } finally {
    clearTimeout(deadline);
  }
}
