import type { Locker, Upload } from '@tus/utils';
import type { Config } from '../config.ts';
import { AppError, type CodeName } from '../errors.ts';
import type { PublishPipeline } from '../media/publish-pipeline.ts';
import { storeUploads } from '../media/upload-service.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { ByteStore } from '../storage/byte-store.ts';
import type { ResumableDataStore } from './resumable-data-store.ts';

/** Failures that may pass (the bucket, the staging disk): the upload is kept for the client's retry when the store can. */
const PASSING: ReadonlySet<CodeName> = new Set(['STORAGE_UNAVAILABLE', 'INSUFFICIENT_STORAGE']);

export interface CompletionAnswer {
  code: number;
  status: number;
  body: unknown;
  /** Set when the upload was kept for a retry: its offset now. */
  offset?: number;
}

export interface CompletionDeps {
  store: ByteStore;
  pipeline: PublishPipeline;
  media: Config['media'];
  dataStore: ResumableDataStore;
  locker: Locker;
  lockTimeoutMs: number;
  metrics: Metrics;
}

/**
 * What happens when an upload's last byte arrived: the same judgement and answer as POST /media.
 * The upload is gone afterwards, whatever the outcome, except after a failure that may pass
 * where the store can take the last piece back (BucketUploadStore.rewind): the client, which
 * retries a 5xx, then resends that piece and the completion runs again, so a gateway that fails
 * for a moment at the end does not cost the whole upload.
 */
export async function completeUpload(deps: CompletionDeps, upload: Upload): Promise<CompletionAnswer> {
  const { store, pipeline, media, dataStore, metrics } = deps;
  const { directory, filename } = upload.metadata ?? {};
  let keptAt: number | undefined;
  try {
    const staged = await dataStore.stageComplete(store, upload).catch(async (error: unknown) => {
      if (error instanceof AppError && PASSING.has(error.codeName)) keptAt = await keepForRetry(deps, upload.id);
      throw error;
    });
    const outcome = await storeUploads(store, pipeline, media, [
      { directory: directory ?? undefined, filename: filename ?? undefined, staged },
    ]);
    if (PASSING.has(outcome.codeName)) keptAt = await keepForRetry(deps, upload.id);
    const entry = new AppError(outcome.codeName).entry;
    for (const file of outcome.files) if (file.code === 200 && file.size !== undefined) metrics.bytesStored.inc(file.size);
    return {
      code: entry.code,
      status: entry.status,
      body: { code: entry.code, reason: outcome.reason, files: outcome.files },
      offset: keptAt,
    };
  } finally {
    if (keptAt === undefined) await dataStore.forget(upload.id);
  }
}

/** The upload's offset after taking its last piece back, under its lock; undefined when that cannot be done. */
async function keepForRetry({ dataStore, locker, lockTimeoutMs }: CompletionDeps, id: string): Promise<number | undefined> {
  if (!dataStore.rewind) return undefined;
  const lock = locker.newLock(id);
  try {
    await lock.lock(AbortSignal.timeout(lockTimeoutMs), () => undefined);
  } catch {
    return undefined;
  }
  try {
    return await dataStore.rewind(id);
  } catch {
    return undefined;
  } finally {
    await lock.unlock();
  }
}
