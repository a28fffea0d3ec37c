import { Router, type RequestHandler } from 'express';
import type { Access } from '../access/access.ts';
import { tusPrincipal } from '../access/principal.ts';
import { useStatusMode } from '../http/answers.ts';
import type { ResumableUploads } from './resumable-uploads.ts';

/**
 * /uploads: the request's principal (Access.identify ran before) is handed to @tus/server's
 * hooks, which judge creation by the key's scope and directory or the upload signature, and every
 * later request by the upload's owner (src/access/upload-owner.ts). OPTIONS needs nothing
 * (browsers send no credentials in a preflight).
 */
export function uploadRoutes(access: Access, uploads: ResumableUploads): Router {
  const router = Router();
  const withPrincipal: RequestHandler = (req, res, next) => {
    const principal = access.principal(res);
    // A creation needs a key that writes, or an upload signature, whatever it names.
    if (req.method === 'POST') access.mayStartUpload(principal);
    tusPrincipal.run(principal, next);
  };
  // Semantic statuses whatever media.statusMode says: tus clients decide success, retry and
  // failure by the status (a refused file answered with HTTP 200 would be reported uploaded, a
  // refused creation as a missing Location). The body's `code` is the same in both modes.
  router.use(useStatusMode('semantic'), withPrincipal, uploads.handler());
  return router;
}
