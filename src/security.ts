import type { RequestHandler } from 'express';
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
  return helmet({
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
  });
}

/** Per-client limit on POST/DELETE (per process: in a cluster each worker counts alone). */
export function writeRateLimit(config: RateLimitConfig): RequestHandler {
  if (config.writesPerWindow === 0) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: config.windowMs,
    limit: config.writesPerWindow,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skip: (req) => req.method !== 'POST' && req.method !== 'DELETE',
    handler: (_req, _res, next) => next(new AppError('TOO_MANY_REQUESTS', 'too many requests: slow down and retry later')),
  });
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
  return rateLimit({
    windowMs: config.windowMs,
    limit: config.writesPerKeyPerWindow,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skip: (req, res) => (req.method !== 'POST' && req.method !== 'DELETE') || keyId(res) === undefined,
    keyGenerator: (_req, res) => `key:${keyId(res)}`,
    handler: (_req, res, next) =>
      next(new AppError('TOO_MANY_REQUESTS', `too many requests for key '${keyId(res)}': slow down and retry later`)),
  });
}
