import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

/** An X-Request-Id we accept from a client: short, printable, no separators that break logs. */
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Remembers where a router is mounted: Express resets `req.baseUrl` when the router is done, before
 * the answer finishes and is logged.
 */
export const rememberMount: RequestHandler = (req, res, next) => {
  res.locals.mount = req.baseUrl;
  next();
};

/** The route pattern that answered (low cardinality for logs and metrics), or `unmatched`. */
export function routeOf(req: IncomingMessage): string {
  const { route, res } = req as Request;
  const mount = typeof res?.locals.mount === 'string' ? res.locals.mount : '';
  if (route?.path) return `${mount}${route.path}`;
  return mount || 'unmatched';
}

/** Route pattern and bytes each way, for the request's log line. */
function summary(req: IncomingMessage, res: ServerResponse) {
  const length = Number(res.getHeader('content-length'));
  return {
    route: routeOf(req),
    bytesIn: Number(req.headers['content-length']) || 0,
    ...(Number.isFinite(length) ? { bytesOut: length } : {}),
  };
}

/**
 * One JSON line per request: id, method, url, route, status, bytes and duration. The id comes
 * from a valid X-Request-Id, else is generated, and is echoed back. Headers are never logged, so
 * neither are bearer tokens; bodies never are.
 */
export function requestLogger(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId(req: IncomingMessage, res: ServerResponse) {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && VALID_REQUEST_ID.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    serializers: {
      req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    // At the end, not in customProps: customProps also runs when the request starts, before routing.
    customSuccessObject: (req: IncomingMessage, res: ServerResponse, line: object) => ({ ...line, ...summary(req, res) }),
    customErrorObject: (req: IncomingMessage, res: ServerResponse, _error: Error, line: object) => ({ ...line, ...summary(req, res) }),
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessMessage: (req, res) => `${req.method} ${routeOf(req)} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${routeOf(req)} ${res.statusCode}`,
  });
}
