import express, { type Router } from 'express';
import { rememberMount } from '../observability/request-logger.ts';
import { pageAssets, pageDirectory, pageIndex } from '../static-page.ts';

const libraryPage = pageDirectory('library/page');

/**
 * GET /: the media library page; its scripts and styles under /library/. The page talks to the
 * public media API only, as any other client would.
 */
export function libraryRoutes(): Router {
  const router = express.Router();
  router.get('/', pageIndex(libraryPage));
  router.use('/library', rememberMount, pageAssets(libraryPage));
  return router;
}
