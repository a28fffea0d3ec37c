import { Router, type RequestHandler } from 'express';
import type { Access } from '../access/access.ts';
import type { AudioAnalysis } from '../analysis/audio-analysis.ts';
import { useStatusMode } from '../http/answers.ts';
import { rememberMount } from '../observability/request-logger.ts';
import type { ByteStore } from '../storage/byte-store.ts';
import type { ContentInspector } from './content-inspector.ts';
import { downloadHandler } from './download.ts';
import { MediaLibrary } from './media-library.ts';

export interface DownloadRouteDeps {
  store: ByteStore;
  inspector: ContentInspector;
  access: Access;
  analysis?: AudioAnalysis;
  statusMode: 'semantic' | 'legacy';
  /** What every answer gets before the route (the security headers, CORS), in that order. */
  before: RequestHandler[];
}

/**
 * GET|HEAD /media/{directory...}/{filename}, mounted at /media ahead of the health, upload and
 * media routers: a download passes only the middleware it needs, in the order the media router
 * gives it. Other methods and GET /media (the listing) go on to the media router.
 */
export function downloadRoute({ store, inspector, access, analysis, statusMode, before }: DownloadRouteDeps): Router {
  const library = new MediaLibrary(store, inspector, analysis);
  const identify: RequestHandler = (req, res, next) => access.identify(req, res, next);
  // Express routes HEAD to GET handlers; the handler answers HEAD with headers only.
  return Router().get(
    '/*path',
    rememberMount,
    ...before,
    useStatusMode(statusMode),
    identify,
    downloadHandler(library, (res, target) => access.mayRead(access.principal(res), target)),
  );
}
