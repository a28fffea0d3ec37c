import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { redactedUrl } from './redacted-url.ts';

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

/**
 * Adds fields to the request's log line: the `{code, reason}` of the answer, the files of an
 * upload. Only names and codes, never bodies or credentials; merged in only when the line is written.
 */
export function addToRequestLine(res: Response, fields: Record<string, unknown>): void {
  res.locals.requestLine = res.locals.requestLine ? { ...res.locals.requestLine, ...fields } : fields;
}

/** The route pattern that answered (low cardinality for logs and metrics), or `unmatched`. */
export function routeOf(req: IncomingMessage): string {
  const { route, res } = req as Request;
  const mount = typeof res?.locals.mount === 'string' ? res.locals.mount : '';
  if (route?.path) return `${mount}${route.path}`;
  return mount || 'unmatched';
}

/** Bytes a connection had received when its previous request ended. */
const receivedBefore = new WeakMap<Socket, number>();

/**
 * The bytes this request took from its connection (request line, headers and the body as far as
 * it arrived), as received: an upload cut short counts what came, not its declared Content-Length.
 */
function wireBytesIn(socket: Socket): number {
  const received = socket.bytesRead;
  const before = receivedBefore.get(socket) ?? 0;
  receivedBefore.set(socket, received);
  return received - before;
}

/**
 * One JSON line per request when it ends: id, method, url, route, status, bytes each way,
 * duration and what the route added (`addToRequestLine`); `error` level for 5xx, `aborted: true` when the client left before the answer was
 * complete (with no status, and `aborted` in the message, when no answer had been sent). The id comes from a valid X-Request-Id, else is generated, and is echoed back.
 * Headers are never logged, so neither are bearer tokens; bodies never are; credentials in the
 * query string (a signature, a token) are redacted.
 *
 * Built on pino directly rather than pino-http: pino-http creates a child logger per request,
 * which serializes the request eagerly, even at levels where the line is never written (a
 * visible share of the event loop in the upload and proxy benchmarks: test/bench/NOTES.md). Here
 * nothing is built unless the line's level is enabled.
 */
export function requestLogger(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && VALID_REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', id);
    const started = performance.now();
    // 'close' comes after 'finish' on a complete answer, and alone when the connection dropped.
    res.once('close', () => {
      // No answer went out: the status Express holds (200 by default) was never sent, so none is logged.
      const unanswered = !res.headersSent;
      const level = !unanswered && res.statusCode >= 500 ? 'error' : 'info';
      const bytesIn = wireBytesIn(req.socket);
      if (!logger.isLevelEnabled(level)) return;
      const length = Number(res.getHeader('content-length'));
      const route = routeOf(req);
      logger[level](
        {
          req: { id, method: req.method, url: redactedUrl(req.originalUrl), remoteAddress: req.socket.remoteAddress },
          res: { statusCode: unanswered ? null : res.statusCode },
          responseTime: Math.round(performance.now() - started),
          route,
          bytesIn,
          ...(Number.isFinite(length) && !unanswered ? { bytesOut: length } : {}),
          ...(res.writableFinished ? {} : { aborted: true }),
          ...(res as Response).locals.requestLine,
        },
        `${req.method} ${route} ${unanswered ? 'aborted' : res.statusCode}`,
      );
    });
    next();
  };
}
