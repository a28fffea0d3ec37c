import { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { AppError } from '../errors.ts';
import { forward } from './forward.ts';
import { checkRest, parseTarget } from './target-path.ts';
import type { UpstreamRegistry } from './upstream-registry.ts';

export interface ProxyDeps {
  upstreams: UpstreamRegistry;
  logger: Logger;
}

/**
 * `ALL /<name>/<rest>` (mounted at /proxy) forwarded to the upstream configured under `<name>`.
 * Must be mounted before any body parser: the request body is streamed to the upstream untouched.
 */
export function proxyRoutes({ upstreams, logger }: ProxyDeps): Router {
  const router = Router();
  router.use(async (req: Request, res: Response) => {
    const target = parseTarget(req.url);
    const upstream = upstreams.get(target.name);
    if (!upstream) throw new AppError('NOT_FOUND', `no upstream named "${target.name}"`);
    checkRest(target.rest);
    // Appended as received (still percent-encoded), never resolved with `new URL(rest, base)`.
    const path = (upstream.basePath + target.rest || '/') + target.query;
    return forward(upstream, req, res, { path, logger });
  });
  return router;
}
