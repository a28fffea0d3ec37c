import { Router, type RequestHandler } from 'express';
import { requireBearer } from '../auth.ts';
import type { Config } from '../config.ts';
import { useStatusMode } from '../errors.ts';
import type { ResumableUploads } from './resumable-uploads.ts';

/** /uploads: every tus request needs the bearer token of POST /media, except OPTIONS (browsers send none in a preflight). */
export function uploadRoutes(config: Config, uploads: ResumableUploads): Router {
  const router = Router();
  const writeAccess = requireBearer(config.auth.tokens);
  const unlessOptions: RequestHandler = (req, res, next) => (req.method === 'OPTIONS' ? next() : writeAccess(req, res, next));
  // Semantic statuses whatever media.statusMode says: tus clients decide success, retry and
  // failure by the status (a refused file answered with HTTP 200 would be reported uploaded, a
  // refused creation as a missing Location). The body's `code` is the same in both modes.
  router.use(useStatusMode('semantic'), unlessOptions, uploads.handler());
  return router;
}
