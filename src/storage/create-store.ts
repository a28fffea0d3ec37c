import type { StorageConfig } from './config.ts';
import type { ByteStore } from './byte-store.ts';
import path from 'node:path';
import { LocalStore } from './local/local-store.ts';
import { INCOMING_DIR } from './staging/staging-area.ts';
import { ProcessLocker } from '../lockers/process-locker.ts';
import type { MediaThreads } from '../media-threads.ts';
import { redisClient } from '../redis-client.ts';

/** The byte store `storage.backend` names, opened on the validated config. */
export interface StoreEvents {
  onSweepError?: (error: unknown) => void;
  onIndexError?: (error: unknown) => void;
  onIndexDamaged?: (problem: string, keptAt: string) => void;
  /** S3: whether the engine itself refuses to complete a multipart upload over an existing object. */
  onCompletionCondition?: (enforced: boolean | undefined) => void;
  /** S3: the Redis of the name locks failed (ioredis reconnects by itself). */
  onLockError?: (error: unknown) => void;
}

/**
 * What the store needs of the service's config: the `storage` section, how `media` files are
 * written and, for S3, the Redis its hosts share (`redis.url`, else `chat.redisUrl`) with the
 * lock timeout of resumable uploads: the same locks name objects while multipart uploads complete.
 */
export interface StoreConfig {
  storage: StorageConfig;
  media: { poolSize: number; fsync: boolean };
  redis: { url?: string | undefined; commandTimeoutMs: number };
  chat: { redisUrl?: string | undefined };
  uploads: { lockTimeoutMs: number };
}

/** `threads`: the service's media threads, which the local store shares (else it starts its own). */
export async function createStore(config: StoreConfig, events: StoreEvents = {}, threads?: MediaThreads): Promise<ByteStore> {
  switch (config.storage.backend) {
    case 'local':
      return LocalStore.open({
        root: config.storage.root,
        threads,
        poolSize: config.media.poolSize,
        fsync: config.media.fsync,
        sweepIntervalMs: config.storage.sweepIntervalMs,
        tempMaxAgeMs: config.storage.tempMaxAgeMs,
        minFreeBytes: config.storage.minFreeBytes,
        ...events,
      });
    case 's3': {
      // Loaded only here: the AWS SDK adds ~4 MB of heap that a local store never uses.
      const { S3Store } = await import('./s3/s3-store.ts');
      const { endpoint, bucket, region, prefix, forcePathStyle, createBucket, timeoutMs, partSize, queueSize } = config.storage.s3;
      return S3Store.open({
        endpoint,
        bucket: bucket!,
        region,
        prefix,
        forcePathStyle,
        createBucket,
        // The same private directory the local backend stages in: unreachable through the API.
        stagingDir: path.join(config.storage.root, INCOMING_DIR),
        timeoutMs,
        partSize,
        queueSize,
        onCompletionCondition: events.onCompletionCondition,
        ...(await nameLocks(config, events)),
      });
    }
  }
}

/**
 * Across the hosts sharing Redis, the Redis locks resumable uploads use (one connection of the
 * store's own, closed with it); without Redis, locks within this process.
 */
async function nameLocks(config: StoreConfig, events: StoreEvents) {
  const url = config.redis.url ?? config.chat.redisUrl;
  if (!url) return { locker: new ProcessLocker(config.uploads.lockTimeoutMs) };
  const [redis, { RedisLocker }] = await Promise.all([
    redisClient(url, (error) => events.onLockError?.(error)),
    import('../lockers/redis-locker.ts'),
  ]);
  return {
    locker: new RedisLocker(redis, config.uploads.lockTimeoutMs, config.redis.commandTimeoutMs),
    closeLocker: () => void redis.disconnect(),
  };
}
