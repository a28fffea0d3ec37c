import { Server as TusServer } from '@tus/server';
import { EVENTS, type Upload } from '@tus/utils';
import type { RequestHandler } from 'express';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { NodeRequest } from 'srvx/node';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import type { ContentInspector } from '../media/content-inspector.ts';
import { PublishPipeline } from '../media/publish-pipeline.ts';
import { storeUploads } from '../media/upload-service.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { ByteStore } from '../storage/byte-store.ts';
import { parseChecksumHeader, tusRequest } from './checksum.ts';
import { FileLocker } from './file-locker.ts';
import { RedisLocker } from './redis-locker.ts';
import { judgeCreation } from './creation.ts';
import { asAppError, errorBody, sendTusAnswer } from './tus-answers.ts';
import { UploadDataStore } from './upload-data-store.ts';
import { UploadRecords } from './upload-records.ts';

export interface ResumableDeps {
  store: ByteStore;
  inspector: ContentInspector;
  metrics: Metrics;
  logger: Logger;
}

/** The mount point; Location headers name uploads below it. */
export const UPLOADS_PATH = '/uploads';

/**
 * tus 1.0 resumable uploads (@tus/server's handlers over UploadDataStore), judged at creation by
 * the rules of POST /media and published, once the last byte is in, through the same pipeline.
 * Every process of the host can continue any upload: its record and bytes live in the store's
 * private area, its lock is a lock file. Expired uploads are swept on a timer.
 */
export class ResumableUploads {
  private readonly sweepTimer: NodeJS.Timeout;

  private constructor(
    private readonly tus: TusServer,
    private readonly dataStore: UploadDataStore,
    private readonly deps: ResumableDeps,
    sweepIntervalMs: number,
    private readonly redis: Redis | undefined,
  ) {
    const sweep = () => void this.sweepExpired().catch((err: unknown) => deps.logger.warn({ err }, 'resumable upload sweep failed'));
    this.sweepTimer = setInterval(sweep, sweepIntervalMs).unref();
  }

  static async create(config: Config, deps: ResumableDeps): Promise<ResumableUploads> {
    const { store, inspector, metrics, logger } = deps;
    const { media, uploads } = config;
    const records = new UploadRecords(await store.privateDirectory('resumable'));
    const dataStore = new UploadDataStore(records, {
      expireAfterMs: uploads.expireAfterMs,
      fsync: media.fsync,
      onBytes: (bytes) => metrics.resumableBytes.inc(bytes),
    });
    const pipeline = new PublishPipeline(store, inspector, { verifyContent: media.verifyContent });
    // Several hosts (a shared bucket) need a lock they all see; one host does with lock files.
    const redisUrl = config.redis.url ?? config.chat.redisUrl;
    const redis = redisUrl ? new Redis(redisUrl, { maxRetriesPerRequest: 2 }) : undefined;
    redis?.on('error', (err) => logger.warn({ err }, 'uploads redis connection error'));
    const tus = new TusServer({
      path: UPLOADS_PATH,
      datastore: dataStore,
      relativeLocation: true,
      maxSize: media.maxFileSize,
      locker: redis ? new RedisLocker(redis, uploads.lockTimeoutMs) : new FileLocker((id) => records.lockPath(id), uploads.lockTimeoutMs),
      async onUploadCreate(_req, upload) {
        await judgeCreation(store, media, upload);
        return {};
      },
      async onUploadFinish(_req, upload) {
        const answer = await finish(upload);
        metrics.resumableCompleted.inc({ code: String(answer.code) });
        return { status_code: answer.status, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(answer.body) };
      },
      onResponseError(_req, error) {
        const known = asAppError(error, media.maxFileSize);
        if (!known) logger.error({ err: error }, 'resumable upload failed');
        return errorBody(known ?? new AppError('UNKNOWN'));
      },
    });
    tus.on(EVENTS.POST_CREATE, () => metrics.resumableCreated.inc());

    /** The same judgement and answer as POST /media; the upload's files are gone afterwards, whatever the outcome. */
    async function finish(upload: Upload) {
      const { directory, filename } = upload.metadata ?? {};
      const context = tusRequest.getStore();
      if (context)
        context.finished = {
          id: upload.id,
          size: upload.size ?? 0,
          metadata: upload.metadata ?? {},
          creationDate: upload.creation_date ?? '',
        };
      try {
        const staged = await store.stageFile(records.dataPath(upload.id), dataStore.takeSha256(upload.id, upload.size ?? 0));
        const outcome = await storeUploads(store, pipeline, media, [
          { directory: directory ?? undefined, filename: filename ?? undefined, staged },
        ]);
        const entry = new AppError(outcome.codeName).entry;
        for (const file of outcome.files) if (file.code === 200 && file.size !== undefined) metrics.bytesStored.inc(file.size);
        return { code: entry.code, status: entry.status, body: { code: entry.code, reason: outcome.reason, files: outcome.files } };
      } finally {
        await records.remove(upload.id);
      }
    }

    return new ResumableUploads(tus, dataStore, deps, uploads.sweepIntervalMs, redis);
  }

  /** The Express handler for everything under /uploads (mounted ahead of any body parser). */
  handler(): RequestHandler {
    return async (req, res) => {
      const checksum = parseChecksumHeader(req.headers['upload-checksum'] as string | undefined);
      const answer = await tusRequest.run({ checksum }, () => this.tus.handleWeb(new NodeRequest({ req, res })));
      await sendTusAnswer(res, answer);
    };
  }

  /** Removes expired uploads now; returns how many. */
  async sweepExpired(): Promise<number> {
    const removed = await this.dataStore.deleteExpired();
    this.deps.metrics.resumableExpired.inc(removed);
    return removed;
  }

  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.redis?.quit().catch(() => undefined);
  }
}
