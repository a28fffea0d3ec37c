import express, { Router } from 'express';
import { requireBearer } from '../auth.ts';
import type { Config } from '../config.ts';
import { sendResult, useStatusMode } from '../errors.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { ByteStore } from '../storage/byte-store.ts';
import type { ContentInspector } from './content-inspector.ts';
import { downloadHandler } from './download.ts';
import { UrlencodedForm } from './form-urlencoded.ts';
import { listingHandler } from './listing.ts';
import { MediaLibrary } from './media-library.ts';
import { multipartParser, settleStaging } from './multipart.ts';
import { parseMediaPath } from './media-path.ts';
import type { MediaPath } from './schemas.ts';
import { PublishPipeline } from './publish-pipeline.ts';
import { uploadCandidates } from './upload-candidates.ts';
import { storeUploads } from './upload-service.ts';
import { URLENCODED_OVERHEAD } from './urlencoded-upload.ts';

export interface MediaDeps {
  config: Config;
  store: ByteStore;
  inspector: ContentInspector;
  metrics: Metrics;
}

const URLENCODED = 'application/x-www-form-urlencoded';

export function mediaRoutes({ config, store, inspector, metrics }: MediaDeps): Router {
  const { media } = config;
  const router = Router();
  const pipeline = new PublishPipeline(store, inspector, { verifyContent: media.verifyContent });
  const library = new MediaLibrary(store, inspector);
  const writeAccess = requireBearer(config.auth.tokens);
  const limits = { maxFileSize: media.maxFileSize, maxFields: media.maxFields };

  router.use(useStatusMode(media.statusMode));

  router.post(
    '/',
    writeAccess,
    multipartParser(store, media),
    // Urlencoded bodies are read by the handler as they arrive (urlencoded-upload.ts): the `body`
    // field is binary and streams into staging.
    async (req, res) => {
      const candidates = await uploadCandidates(req, store, limits);
      const outcome = await storeUploads(store, pipeline, media, candidates);
      for (const file of outcome.files) {
        metrics.uploads.inc({ code: String(file.code) });
        if (file.size !== undefined && file.code === 200) metrics.bytesStored.inc(file.size);
      }
      sendResult(res, outcome.codeName, { reason: outcome.reason, files: outcome.files });
    },
  );

  const readAccess = requireBearer(config.auth.protectReads ? config.auth.tokens : []);
  router.get('/', readAccess, listingHandler(library));
  // Express routes HEAD to GET handlers; the handler answers HEAD with headers only.
  router.get('/*path', readAccess, downloadHandler(library));

  router.delete('/', writeAccess, express.raw({ type: URLENCODED, limit: URLENCODED_OVERHEAD }), async (req, res) => {
    const target = deleteTarget(req.query, req.body, media.maxFields);
    const deleted = await library.remove(target);
    sendResult(res, 'OK', { ...target, deleted });
  });

  router.use(settleStaging);

  return router;
}

/** `directory` and `filename` from the query string, else from a urlencoded body. */
function deleteTarget(query: Record<string, unknown>, body: unknown, maxFields: number): MediaPath {
  const form = Buffer.isBuffer(body) ? UrlencodedForm.parse(body, maxFields) : undefined;
  const pick = (name: string): unknown => query[name] ?? form?.text(name);
  return parseMediaPath({ directory: pick('directory'), filename: pick('filename') });
}
