import { PassThrough, type Readable } from 'node:stream';
import type { Request } from 'express';

/**
 * The client's body as a stream of its own, or null: RFC 9112 §6.3, a request has a body exactly
 * when it has Transfer-Encoding or Content-Length. Never `req` itself: undici destroys the body it
 * was given when done, and for an IncomingMessage first sets its `socket` to null (undici
 * core/util.js destroy()), which broke every later reader of `req.socket` (the request log line,
 * `req.ip`, the error path). If undici stops reading early (the upstream failed), the rest of the
 * body is drained as Node does for unread bodies, so the client can read its 502/504.
 */
export function requestBody(req: Request): Readable | null {
  if (req.headers['transfer-encoding'] === undefined && req.headers['content-length'] === undefined) return null;
  const body = new PassThrough();
  body.once('close', () => {
    if (req.complete) return;
    req.unpipe(body);
    req.resume();
  });
  return req.pipe(body);
}

/**
 * Resolves once the client has sent its whole body (drained by `requestBody` when undici stopped
 * reading it), or after `capMs`. An error answered while the body still arrives would be followed
 * by Node closing the socket of a `Connection: close` client under its writes: EPIPE, and the
 * answer never read. Waiting for the body's end answers as a proxy that buffers requests would,
 * the cap bounding it like nginx's lingering close.
 */
export function bodyReceived(req: Request, capMs: number): Promise<void> {
  if (req.complete || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(cap);
      req.off('end', done);
      req.off('close', done);
      resolve();
    };
    const cap = setTimeout(done, capMs);
    req.once('end', done);
    req.once('close', done);
  });
}
