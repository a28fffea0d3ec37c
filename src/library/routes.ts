import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';
import { rememberMount } from '../observability/request-logger.ts';
import { pageAssets, pageDirectory, pageIndex } from '../static-page.ts';

const libraryPage = pageDirectory('library/page');
/** tus-js-client's browser build (the global `tus`), served from the installed package: no CDN. */
const tusBrowserBuild = createRequire(import.meta.url).resolve('tus-js-client/dist/tus.min.js');
/** wavesurfer.js's ES module build (one file, no imports), which draws each file's waveform from its peaks. */
const wavesurferBuild = fileURLToPath(import.meta.resolve('wavesurfer.js'));

/**
 * GET /: the media library page; its scripts and styles under /library/. The page talks to the
 * public media API only, as any other client would.
 */
export function libraryRoutes(): Router {
  const router = express.Router();
  router.get('/', pageIndex(libraryPage));
  router.get('/library/vendor/tus.min.js', (_req, res) => {
    res.sendFile(tusBrowserBuild, { headers: { 'Cache-Control': 'no-cache' } });
  });
  router.get('/library/vendor/wavesurfer.esm.js', (_req, res) => {
    res.sendFile(wavesurferBuild, { headers: { 'Cache-Control': 'no-cache' } });
  });
  router.use('/library', rememberMount, pageAssets(libraryPage));
  return router;
}
