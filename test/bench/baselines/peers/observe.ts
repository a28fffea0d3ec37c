import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestHandler } from 'express';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { pinoHttp } from 'pino-http';
import { Histogram, Registry } from 'prom-client';

/**
 * What every peer server of the issue 30 comparison is given, so that it pays what the service
 * pays per request: one pino-http request line at info (to stdout, as the service logs) and a
 * Prometheus request histogram by method, route and status (prom-client, its own registry).
 */
const logger = pino({ level: 'info' });
const logRequest = pinoHttp({ logger });
const registry = new Registry();
const duration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'Time from request to the end of the answer',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});

/** node:http: the request line and the histogram for one request; `route` names what the server serves. */
export function observeRequest(route: string, req: IncomingMessage, res: ServerResponse): void {
  logRequest(req, res);
  const stop = duration.startTimer();
  res.once('finish', () => stop({ method: req.method, route, status: String(res.statusCode) }));
}

/** Express: the same, as the first middleware. */
export function expressObservability(route: string): RequestHandler {
  return (req, res, next) => {
    observeRequest(route, req, res);
    next();
  };
}

/** fastify: the same pino-http line (fastify's own logger off) and histogram, from its hooks. */
export function fastifyObservability(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    logRequest(request.raw, reply.raw);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    duration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
}

/** Peers log to stdout, so they announce their port on stderr (lib/peers.ts reads it there). */
export function announce(server: Server): void {
  const { port } = server.address() as AddressInfo;
  process.stderr.write(`listening ${port}\n`);
}

/** SIGTERM: stop accepting, drop idle keep-alive connections, exit. */
export function exitOnSigterm(close: () => Promise<unknown> | void): void {
  process.once('SIGTERM', () => {
    void Promise.resolve(close()).finally(() => process.exit(0));
  });
}
