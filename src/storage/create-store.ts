import type { StorageConfig } from './config.ts';
import type { ByteStore } from './byte-store.ts';
import path from 'node:path';
import { LocalStore } from './local/local-store.ts';
import { INCOMING_DIR } from './staging/staging-area.ts';

/** The byte store `storage.backend` names, opened on the validated config. */
export interface StoreEvents {
  onSweepError?: (error: unknown) => void;
  onIndexError?: (error: unknown) => void;
  onIndexDamaged?: (problem: string, keptAt: string) => void;
}

/** What the store needs of the service's config: the `storage` section and how `media` files are written. */
export interface StoreConfig {
  storage: StorageConfig;
  media: { poolSize: number; fsync: boolean };
}

export async function createStore(config: StoreConfig, events: StoreEvents = {}): Promise<ByteStore> {
  switch (config.storage.backend) {
    case 'local':
      return LocalStore.open({
        root: config.storage.root,
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
      });
    }
  }
}
