import { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.ts';
import { AppError } from '../errors.ts';
import { BodyRecorder } from './body-recorder.ts';
import type { CachedAnswer, ResponseCache } from './cache.ts';
import { mayServeFromCache, mayStoreAnswerTo, storableForMs } from './cache-policy.ts';
import type { AnswerHead } from './forward.ts';
import { downstreamHeaders } from './response-headers.ts';
import { checkRest, parseTarget } from './target-path.ts';
import type { UpstreamRegistry } from './upstream-registry.ts';

export interface ProxyDeps {
  upstreams: UpstreamRegistry;
  logger: Logger;
  metrics: Metrics;
}

/** forward.ts and the HTTP client it uses, loaded by the first request to a configured upstream. */
let forward: typeof import('./forward.ts').forward | undefined;

/** Answers one proxied request; rejects with the error to answer (an AppError for what the client or upstream did). */
export type ProxyHandler = (req: Request, res: Response) => Promise<void>;

/**
 * `ALL /<name>/<rest>` (`req.url` relative to the mount, /proxy) forwarded to the upstream
 * configured under `<name>`. Must run before any body parser: the request body is streamed to the
 * upstream untouched.
 */
export function proxyHandler({ upstreams, logger, metrics }: ProxyDeps): ProxyHandler {
  return async (req, res) => {
    const target = parseTarget(req.url);
    const upstream = upstreams.get(target.name);
    if (!upstream) throw new AppError('NOT_FOUND', `no upstream named "${target.name}"`);
    checkRest(target.rest);
    // Awaited once: later requests find it loaded.
    forward ??= (await import('./forward.ts')).forward;
    // Appended as received (still percent-encoded), never resolved with `new URL(rest, base)`.
    const path = (upstream.basePath + target.rest || '/') + target.query;
    const cache = upstream.cache;
    if (!cache) return forward(upstream, req, res, { path, logger, metrics });

    const hit = mayServeFromCache(req) ? cache.get(path) : undefined;
    if (hit) return sendCached(res, hit);
    res.setHeader('X-Cache', 'MISS');
    const tap = mayStoreAnswerTo(req) ? (head: AnswerHead) => recorderFor(cache, path, head) : undefined;
    return forward(upstream, req, res, { path, logger, metrics, tap });
  };
}

/** The handler as a router, for the requests Express routes to /proxy (see proxy/ahead-of-router.ts for the others). */
export function proxyRoutes(handler: ProxyHandler): Router {
  const router = Router();
  router.use(handler);
  return router;
}

function recorderFor(cache: ResponseCache, key: string, head: AnswerHead): BodyRecorder | undefined {
  const ttlMs = storableForMs(head.statusCode, head.headers, cache.limits.ttlMs);
  if (ttlMs <= 0) return undefined;
  const headers = downstreamHeaders(head.headers, head.statusCode);
  return new BodyRecorder(cache.limits.maxBodyBytes, (body) => cache.set(key, headers, body, ttlMs));
}

/** RFC 9111 §5.1: a cache sends Age, the seconds since the stored answer was received. */
function sendCached(res: Response, entry: CachedAnswer): void {
  res.status(200);
  for (const [name, value] of entry.headers) res.setHeader(name, value);
  res.setHeader('Age', String(Math.floor((Date.now() - entry.storedAt) / 1000)));
  res.setHeader('X-Cache', 'HIT');
  res.end(entry.body);
}
