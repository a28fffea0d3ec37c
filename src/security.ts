import type { Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { RateLimitConfig } from './http/config.ts';
import { principalOf } from './access/principal.ts';
import { AppError } from './errors.ts';

/**
 * Security headers. The CSP allows only this origin's scripts, styles, media and WebSocket (the
 * pages load no inline code). Cross-Origin-Resource-Policy is `cross-origin` because other sites'
 * players are expected to stream our audio.
 */
export function securityHeaders(): RequestHandler {
  const { set, removed } = headersOf(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          mediaSrc: ["'self'", 'blob:'],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          frameAncestors: ["'none'"],
          formAction: ["'self'"],
        },
      },
      crossOriginResourcePolicy: { policy: 'cross-origin' },
    }),
  );
  return (_req, res, next) => {
    for (const [name, value] of set) res.setHeader(name, value);
    for (const name of removed) res.removeHeader(name);
    next();
  };
}

/**
 * What a middleware that only sets fixed headers does, recorded once: helmet's twelve headers
 * depend on nothing in the request (no CSP nonce here), so each request replays them instead of
 * running helmet's chain of middleware functions.
 */
function headersOf(middleware: RequestHandler): { set: Array<[string, string]>; removed: string[] } {
  const set: Array<[string, string]> = [];
  const removed: string[] = [];
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      set.push([name, String(value)]);
      return recorder;
    },
    removeHeader(name: string) {
      removed.push(name);
    },
  };
  let called = false;
  void middleware({} as Request, recorder as unknown as Response, (error?: unknown) => {
    if (error) throw error;
    called = true;
  });
  if (!called) throw new Error('the security headers middleware did not finish at once');
  return { set, removed };
}

/** Per-client limit on POST/DELETE (per process: in a cluster each worker counts alone). */
export function writeRateLimit(config: RateLimitConfig): RequestHandler {
  if (config.writesPerWindow === 0) return (_req, _res, next) => next();
  return onlyForWrites(
    rateLimit({
      windowMs: config.windowMs,
      limit: config.writesPerWindow,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      skip: (req) => req.method !== 'POST' && req.method !== 'DELETE',
      handler: (_req, _res, next) => next(new AppError('TOO_MANY_REQUESTS', 'too many requests: slow down and retry later')),
    }),
  );
}

/**
 * Per-key limit on POST/DELETE, whatever address the key comes from (after Access.identify; per
 * process like the address limit). Requests without a key are left to the address limit.
 */
export function keyWriteRateLimit(config: RateLimitConfig): RequestHandler {
  if (config.writesPerKeyPerWindow === 0) return (_req, _res, next) => next();
  const keyId = (res: Parameters<RequestHandler>[1]) => {
    const principal = principalOf(res);
    return principal.kind === 'key' ? principal.key.id : undefined;
  };
  return onlyForWrites(
    rateLimit({
      windowMs: config.windowMs,
      limit: config.writesPerKeyPerWindow,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      skip: (req, res) => (req.method !== 'POST' && req.method !== 'DELETE') || keyId(res) === undefined,
      keyGenerator: (_req, res) => `key:${keyId(res)}`,
      handler: (_req, res, next) =>
        next(new AppError('TOO_MANY_REQUESTS', `too many requests for key '${keyId(res)}': slow down and retry later`)),
    }),
  );
}

/**
 * Reads and other methods go straight on: the limiter is an async function that would only reach
 * its `skip` for them a promise later, on every download and listing.
 */
function onlyForWrites(limiter: RequestHandler): RequestHandler {
  return (req, res, next) => (req.method === 'POST' || req.method === 'DELETE' ? limiter(req, res, next) : next());
}
