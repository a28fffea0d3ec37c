import { Router, type RequestHandler } from 'express';
import { requireBearer } from '../auth.ts';
import type { Config } from '../config.ts';
import type { ResumableUploads } from './resumable-uploads.ts';

/** /uploads: every tus request needs the bearer token of POST /media, except OPTIONS (browsers send none in a preflight). */
export function uploadRoutes(config: Config, uploads: ResumableUploads): Router {
  const router = Router();
  const writeAccess = requireBearer(config.auth.tokens);
  const unlessOptions: RequestHandler = (req, res, next) => (req.method === 'OPTIONS' ? next() : writeAccess(req, res, next));
  router.use(unlessOptions, uploads.handler());
  return router;
}
