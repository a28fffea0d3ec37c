import { Server as TusServer } from '@tus/server';
import { EVENTS, type Locker } from '@tus/utils';
import type { RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Access } from '../access/access.ts';
import { UploadOwnership } from '../access/upload-owner.ts';
import type { ResumableConfig, UploadsConfig } from './config.ts';
import { AppError } from '../errors.ts';
import type { ContentInspector } from '../media/content-inspector.ts';
import type { PublishPipeline } from '../media/publish-pipeline.ts';
import { StreamPublish } from '../media/stream-publish.ts';
import { isStreaming } from '../media/stream-target.ts';
import type { EventHook } from '../media/event-hook.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { ByteStore } from '../storage/byte-store.ts';
import { parseChecksumHeader } from './tus/checksum-header.ts';
import { tusRequest } from './tus/request-context.ts';
import { contentLengthOf } from '../http/content-length.ts';
import { UploadFinisher } from './rules/upload-completion.ts';
import { isPending } from './records/upload-records.ts';
import { faultPoint } from '../fault-points.ts';
import { createResumableStorage } from './create-data-store.ts';
import { FileLocker } from '../lockers/file-locker.ts';
import { RedisLocker } from '../lockers/redis-locker.ts';
import { redisClient } from '../redis-client.ts';
import { withDeadline } from '../lockers/redis-deadline.ts';
import { judgeCreation } from './rules/creation.ts';
import { judgeFirstBytes } from './rules/first-bytes-judge.ts';
import { sweepRecordLeftovers } from './records/record-leftovers.ts';
import { leanBodyRequest } from './tus/lean-body-request.ts';
import type { ResumableDataStore } from './tus/resumable-data-store.ts';
import { asAppError, errorBody, sendTusAnswer } from './tus/tus-answers.ts';
import { tusPrecondition } from './tus/tus-preconditions.ts';
import { tryLock } from '../lockers/try-lock.ts';

export interface ResumableDeps {
  store: ByteStore;
  inspector: ContentInspector;
  /** The service's one publish pipeline, shared with POST /media. */
  pipeline: PublishPipeline;
  metrics: Metrics;
  logger: Logger;
  /** Who may create and continue uploads; without it, everyone may. */
  access?: Access;
  /** Records media.created of completed uploads (src/events/). */
  events?: EventHook;
}

/** The mount point; Location headers name uploads below it. */
export const UPLOADS_PATH = '/uploads';

/**
 * tus 1.0 resumable uploads (@tus/server's handlers over UploadDataStore), judged at creation by
 * the rules of POST /media and published, once the last byte is in, through the same pipeline.
 * Every process of the host can continue any upload (its record and bytes live in the store's
 * private area, its lock is a lock file); on the S3 backend every host sharing the bucket can
 * (record and bytes in the bucket, the lock in Redis). Expired uploads are swept on a timer.
 */
export class ResumableUploads {
  private readonly sweepTimer: NodeJS.Timeout;
  /** The start-up completion of uploads a crash left pending (close waits for it). */
  private recovering: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly tus: TusServer,
    private readonly dataStore: ResumableDataStore,
    private readonly locker: Locker,
    private readonly deps: ResumableDeps,
    private readonly uploads: UploadsConfig,
    private readonly redis: { client: Redis; timeoutMs: number } | undefined,
    /** Removes what killed processes left of record writes; answers how many. */
    private readonly sweepLeftovers: () => Promise<number>,
  ) {
    const sweep = () =>
      void Promise.all([this.sweepExpired(), this.sweepLeftovers()]).catch((err: unknown) =>
        deps.logger.warn({ err }, 'resumable upload sweep failed'),
      );
    this.sweepTimer = setInterval(sweep, uploads.sweepIntervalMs).unref();
  }

  static async create(config: ResumableConfig, deps: ResumableDeps): Promise<ResumableUploads> {
    const { store, inspector, pipeline, metrics, logger } = deps;
    const { media, uploads } = config;
    const { dataStore, lockPath } = await createResumableStorage(config, store, (bytes) => metrics.resumableBytes.inc(bytes));
    if (media.verifyContent) judgeFirstBytes(dataStore, inspector);
    // Several hosts (a shared bucket) need a lock they all see; one host does with lock files.
    const redisUrl = config.redis.url ?? config.chat.redisUrl;
    const redis = redisUrl ? await redisClient(redisUrl, (err) => logger.warn({ err }, 'uploads redis connection error')) : undefined;
    if (!redis && config.storage.backend === 's3')
      logger.warn('resumable uploads are locked per host (no redis.url): several hosts sharing the bucket need redis.url');
    const locker = redis
      ? new RedisLocker(redis, uploads.lockTimeoutMs, config.redis.commandTimeoutMs)
      : new FileLocker(lockPath, uploads.lockTimeoutMs);
    const ownership = deps.access ? new UploadOwnership(deps.access) : undefined;
    const streaming = isStreaming(store)
      ? new StreamPublish(store, inspector, { verifyContent: media.verifyContent }, deps.events)
      : undefined;
    const lockTimeoutMs = uploads.lockTimeoutMs;
    const finisher = new UploadFinisher({ store, pipeline, streaming, media, dataStore, locker, lockTimeoutMs, metrics });
    // A request that holds the lock and finds every byte in but nothing decided completes the upload first.
    dataStore.completePending = (id) => finisher.completeLocked(id);
    const tus = new TusServer({
      path: UPLOADS_PATH,
      datastore: dataStore,
      relativeLocation: true,
      maxSize: media.maxFileSize,
      locker,
      async onUploadCreate(_req, upload) {
        const metadata = ownership?.created(upload);
        await judgeCreation(store, media, upload);
        return metadata ? { metadata } : {};
      },
      async onIncomingRequest(_req, id) {
        if (!ownership?.judging) return;
        // Outside the request's context: a record read before the upload's lock must not be the one the handler then uses.
        const upload = await tusRequest.exit(() => dataStore.getUpload(id).catch(() => undefined));
        ownership.continued(id, upload);
      },
      async onUploadFinish(_req, upload) {
        await faultPoint('received');
        const answer = await finisher.complete(upload.id);
        const headers = {
          'Content-Type': 'application/json',
          ...(answer.offset === undefined ? {} : { 'Upload-Offset': String(answer.offset) }),
        };
        return { status_code: answer.status, headers, body: JSON.stringify(answer.body) };
      },
      async onResponseError(_req, error) {
        const refusal = tusRequest.getStore()?.refusal;
        const known = asAppError(refusal?.error ?? error, media.maxFileSize);
        if (!known) logger.error({ err: error }, 'resumable upload failed');
        if (refusal) await dataStore.forget(refusal.id);
        await dropFailedCreation(dataStore, logger);
        return errorBody(known ?? new AppError('UNKNOWN'));
      },
    });
    tus.on(EVENTS.POST_CREATE, (_req, upload) => {
      metrics.resumableCreated.inc();
      const context = tusRequest.getStore();
      if (context) context.created = upload.id;
    });

    const recordsDirectory = await store.privateDirectory('resumable');
    const sweepLeftovers = () => sweepRecordLeftovers(recordsDirectory, config.storage.tempMaxAgeMs);
    // At start too: a process killed mid-write is why they exist.
    await sweepLeftovers();
    const redisLocks = redis && { client: redis, timeoutMs: config.redis.commandTimeoutMs };
    const resumable = new ResumableUploads(tus, dataStore, locker, deps, uploads, redisLocks, sweepLeftovers);
    resumable.recovering = finisher.recover().then(
      (completed) => completed > 0 && logger.info({ completed }, 'completed resumable uploads a crash left pending'),
      (err: unknown) => logger.warn({ err }, 'resumable upload recovery failed'),
    );
    return resumable;
  }

  /** Problems for /readyz: with Redis locks (redis.url), Redis must answer PING in time. */
  async ready(): Promise<string[]> {
    if (!this.redis) return [];
    const { client, timeoutMs } = this.redis;
    const answer = await withDeadline(client.ping(), timeoutMs).catch((error: unknown) => error);
    return answer === 'PONG' ? [] : [`uploads redis not reachable: ${(answer as Error).message}`];
  }

  /** The Express handler for everything under /uploads (mounted ahead of any body parser). */
  handler(): RequestHandler {
    return async (req, res) => {
      const refused = tusPrecondition(req);
      if (refused) return sendTusAnswer(res, refused);
      const checksum = parseChecksumHeader(req.headers['upload-checksum'] as string | undefined);
      const contentLength = contentLengthOf(req.headers['content-length']);
      const answer = await tusRequest.run({ checksum, contentLength }, () => this.tus.handleWeb(leanBodyRequest(req, res)));
      await sendTusAnswer(res, answer);
    };
  }

  /**
   * Removes expired uploads now; returns how many. Each under its lock, so a request still
   * writing to one (it began before the expiry) never recreates what was removed: one that is
   * busy waits for the next sweep. A pending upload (every byte in, the publish interrupted) is
   * completed instead; its record expires with the next sweep.
   */
  async sweepExpired(): Promise<number> {
    const createdBefore = Date.now() - this.uploads.expireAfterMs;
    let removed = 0;
    for (const id of await this.dataStore.expiredIds(createdBefore)) {
      const lock = await tryLock(this.locker, id);
      if (!lock) continue;
      try {
        // Every byte in but not published (a crash): published now rather than removed with its bytes.
        const record = await this.dataStore.readRecord(id);
        if (record && isPending(record)) {
          await this.dataStore
            .completePending?.(id)
            .catch((err: unknown) => this.deps.logger.warn({ err, id }, 'resumable upload completion failed'));
        } else if (await this.dataStore.removeIfExpired(id, createdBefore)) removed += 1;
      } finally {
        await lock.unlock();
      }
    }
    this.deps.metrics.resumableExpired.inc(removed);
    return removed;
  }

  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.recovering;
    await Promise.all([this.closeRedis(), this.dataStore.close()]);
  }

  /** QUIT, or a plain disconnect when Redis does not answer in time (frozen). */
  private async closeRedis(): Promise<void> {
    if (!this.redis) return;
    const { client, timeoutMs } = this.redis;
    await withDeadline(client.quit(), timeoutMs).catch(() => undefined);
    client.disconnect();
  }
}

/**
 * A creation that fails after its upload was created (a creation-with-upload whose body exceeds
 * Upload-Length, or fails otherwise) answers without `Location`: nobody could ever continue or
 * delete that upload, so it goes now rather than at its expiry.
 */
async function dropFailedCreation(dataStore: ResumableDataStore, logger: Logger): Promise<void> {
  const id = tusRequest.getStore()?.created;
  if (id === undefined) return;
  await dataStore.forget(id).catch((err: unknown) => logger.warn({ err, id }, 'could not drop a failed creation'));
}
