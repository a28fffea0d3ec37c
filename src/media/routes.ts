import express, { Router, type RequestHandler } from 'express';
import type { Access } from '../access/access.ts';
import type { AudioAnalysis } from '../analysis/audio-analysis.ts';
import { signedUploadCandidates } from './signed-upload.ts';
import type { MediaConfig } from './config.ts';
import { AppError } from '../errors.ts';
import { sendResult, useStatusMode } from '../http/answers.ts';
import { originOf } from './origin.ts';
import type { EventHook } from './event-hook.ts';
import type { Metrics } from '../observability/metrics.ts';
import { addToRequestLine } from '../observability/request-logger.ts';
import type { ByteStore } from '../storage/byte-store.ts';
import type { ContentInspector } from './content-inspector.ts';
import { UrlencodedForm } from './form-urlencoded.ts';
import { listingHandler } from './listing.ts';
import { MediaLibrary } from './media-library.ts';
import { multipartParser, settleStaging } from './multipart.ts';
import { parseMediaPath } from './media-path.ts';
import { partStreaming } from './stream-target.ts';
import type { MediaPath } from './schemas.ts';
import type { PublishPipeline } from './publish-pipeline.ts';
import { uploadCandidates, type BodyLimits } from './upload-candidates.ts';
import { storeUploads } from './upload-service.ts';
import { URLENCODED_OVERHEAD } from './urlencoded-upload.ts';

export interface MediaDeps {
  config: { media: MediaConfig };
  store: ByteStore;
  inspector: ContentInspector;
  /** The service's one publish pipeline, shared with resumable uploads. */
  pipeline: PublishPipeline;
  metrics: Metrics;
  access: Access;
  /** Adds `analysis` and `loudness` to each file's metadata. */
  analysis?: AudioAnalysis;
  events?: EventHook;
}

const URLENCODED = 'application/x-www-form-urlencoded';

export function mediaRoutes({ config, store, inspector, pipeline, metrics, access, analysis, events }: MediaDeps): Router {
  const { media } = config;
  const router = Router();
  const library = new MediaLibrary(store, inspector, analysis, events);
  const parseMultipart = multipartParser(store, media, partStreaming(media, { store, inspector, access, events }));
  // Before the body is read: whether this request may upload at all, and with what limits (a
  // signed upload URL creates one file of at most its `max` bytes).
  const startUpload: RequestHandler = (req, res, next) => {
    const principal = access.principal(res);
    access.mayStartUpload(principal);
    if (principal.kind !== 'signature') return parseMultipart(req, res, next);
    const maxFileSize = Math.min(media.maxFileSize, principal.claims.max!);
    const defaultTarget = { directory: principal.claims.dir, filename: principal.claims.name };
    res.locals.uploadLimits = { maxFileSize, maxFields: media.maxFields, defaultTarget };
    multipartParser(store, { ...media, maxFileSize, maxFiles: 1 })(req, res, next);
  };

  router.use(useStatusMode(media.statusMode));

  router.post(
    '/',
    startUpload,
    // Urlencoded bodies are read by the handler as they arrive (urlencoded-upload.ts): the `body`
    // field is binary and streams into staging.
    async (req, res) => {
      const principal = access.principal(res);
      const limits = (res.locals.uploadLimits as BodyLimits | undefined) ?? { maxFileSize: media.maxFileSize, maxFields: media.maxFields };
      const parsed = await uploadCandidates(req, store, limits);
      const candidates = principal.kind === 'signature' ? signedUploadCandidates(principal.claims, req, parsed) : parsed;
      const mayStore = (target: MediaPath, size: number) => access.mayStore(principal, target, size);
      const origin = originOf(principal, req.is('multipart/form-data') ? 'multipart' : 'urlencoded');
      const outcome = await storeUploads(store, pipeline, { ...media, mayStore, origin }, candidates);
      for (const file of outcome.files) {
        metrics.uploads.inc({ code: String(file.code) });
        if (file.size !== undefined && file.code === 200) metrics.bytesStored.inc(file.size);
      }
      addToRequestLine(res, { files: outcome.files.map(({ directory, filename, code }) => ({ directory, filename, code })) });
      sendResult(res, outcome.codeName, { reason: outcome.reason, files: outcome.files });
    },
  );

  router.get(
    '/',
    listingHandler(library, (res, directory) => access.mayList(access.principal(res), directory)),
  );
  // GET and HEAD of a file: downloadRoute (download-route.ts), mounted ahead of this router.

  const startDelete: RequestHandler = (_req, res, next) => {
    const principal = access.principal(res);
    if (principal.kind === 'anonymous') throw new AppError('UNAUTHORIZED');
    next();
  };
  router.delete('/', startDelete, express.raw({ type: URLENCODED, limit: URLENCODED_OVERHEAD }), async (req, res) => {
    const target = deleteTarget(req.query, req.body, media.maxFields);
    access.mayDelete(access.principal(res), target);
    const deleted = await library.remove(target, originOf(access.principal(res)));
    sendResult(res, 'OK', { ...target, deleted });
  });

  router.all('/', methodNotAllowed('GET, HEAD, POST, DELETE'));
  router.all('/*path', methodNotAllowed('GET, HEAD'));

  router.use(settleStaging);

  return router;
}

/** 405 with `Allow` for the methods a route lacks (RFC 9110 15.5.6); OPTIONS keeps Express's answer. */
function methodNotAllowed(allow: string): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'OPTIONS') return next();
    res.set('Allow', allow);
    throw new AppError('METHOD_NOT_ALLOWED', `method not allowed: ${req.method} ${req.originalUrl.split('?')[0]}; allowed: ${allow}`);
  };
}

/** `directory` and `filename` from the query string, else from a urlencoded body. */
function deleteTarget(query: Record<string, unknown>, body: unknown, maxFields: number): MediaPath {
  const form = Buffer.isBuffer(body) ? UrlencodedForm.parse(body, maxFields) : undefined;
  const pick = (name: string): unknown => query[name] ?? form?.text(name);
  return parseMediaPath({ directory: pick('directory'), filename: pick('filename') });
}
