import express, { type Router } from 'express';
import { fileURLToPath } from 'node:url';

/**
 * The page's files stay in src/chat/page/ (tsc copies only .ts files). This module sits two levels
 * below the project root both as src/chat/routes.ts and as dist/chat/routes.js, so one relative
 * path finds them from sources (vitest, tsx) and from the build (npm start).
 */
export const pageDirectory = fileURLToPath(new URL('../../src/chat/page/', import.meta.url));

/** GET /chat: the chat page and its assets, mounted at /chat. */
export function chatRoutes(): Router {
  const router = express.Router();
  router.get('/', (_req, res) => {
    res.sendFile('index.html', { root: pageDirectory, headers: { 'Cache-Control': 'no-cache' } });
  });
  router.use(express.static(pageDirectory, { index: false, redirect: false, setHeaders: noCache }));
  return router;
}

/** Revalidate on every load (ETag), so a deploy never leaves a stale page talking to a newer server. */
function noCache(res: express.Response): void {
  res.setHeader('Cache-Control', 'no-cache');
}
