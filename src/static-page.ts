import express, { type RequestHandler, type Response, type Router } from 'express';
import { fileURLToPath } from 'node:url';

/**
 * Pages are plain files kept under src/ (tsc copies only .ts files). This module sits one level
 * below the project root both as src/static-page.ts and as dist/static-page.js, so one relative
 * path finds the pages from sources (vitest, tsx) and from the build (npm start).
 */
const projectRoot = new URL('../', import.meta.url);

/** The absolute path of a page directory given relative to src/, e.g. `chat/page`. */
export function pageDirectory(underSrc: string): string {
  return fileURLToPath(new URL(`src/${underSrc.replace(/\/?$/, '/')}`, projectRoot));
}

/** Answers with the directory's index.html. */
export function pageIndex(directory: string): RequestHandler {
  return (_req, res) => {
    res.sendFile('index.html', { root: directory, headers: { 'Cache-Control': 'no-cache' } });
  };
}

/**
 * The directory's files (scripts, styles) by name; no listings, no index, no redirects. A route
 * (`/*asset`), not bare middleware, so logs and metrics name it (`<mount>/*asset`) instead of
 * `unmatched`.
 */
export function pageAssets(directory: string): Router {
  const router = express.Router();
  router.get('/*asset', express.static(directory, { index: false, redirect: false, setHeaders: noCache }));
  return router;
}

/** Revalidate on every load (ETag), so a deploy never leaves a stale page talking to a newer server. */
function noCache(res: Response): void {
  res.setHeader('Cache-Control', 'no-cache');
}
