import type { ResumableConfig } from './config.ts';
import type { WorkArea } from '../storage/byte-store.ts';
import { partedOf } from '../storage/parted-store.ts';
import type { ResumableDataStore } from './tus/resumable-data-store.ts';
import { UploadDataStore } from './local/upload-data-store.ts';
import { UploadRecords } from './records/upload-records.ts';

export interface ResumableStorage {
  dataStore: ResumableDataStore;
  /** Where lock files go when no Redis is configured (one host's processes only). */
  lockPath: (id: string) => string;
}

/**
 * Where resumable uploads live: with the local backend, files under `<root>/.resumable` (every
 * process of the host continues any upload); with the S3 backend, objects in the bucket under
 * `<prefix>.resumable/` (every host sharing the bucket does), the bytes of an upload of a part or
 * more as the parts of a multipart upload at the file's own key.
 */
export async function createResumableStorage(
  config: ResumableConfig,
  store: WorkArea,
  onBytes: (bytes: number) => void,
): Promise<ResumableStorage> {
  const { media, uploads, storage } = config;
  const records = new UploadRecords(await store.privateDirectory('resumable'));
  const lockPath = (id: string) => records.lockPath(id);
  if (storage.backend === 's3') {
    // Loaded only here, as the S3 store is (create-store.ts): the AWS SDK is not for the local backend.
    const [{ ObjectKeys }, { createS3Client }, { BucketUploadObjects }, { BucketUploadStore }] = await Promise.all([
      import('../storage/s3/object-keys.ts'),
      import('../storage/s3/s3-client.ts'),
      import('./s3/bucket-upload-objects.ts'),
      import('./s3/bucket-upload-store.ts'),
    ]);
    const { endpoint, bucket, region, prefix, forcePathStyle, timeoutMs } = storage.s3;
    // Pieces are Buffers: a PUT the gateway dropped can be sent again, unlike a streamed file.
    const client = createS3Client({
      endpoint,
      region,
      forcePathStyle,
      timeoutMs,
      maxSockets: 16,
      maxAttempts: 2,
    });
    const objects = new BucketUploadObjects(client, bucket!, new ObjectKeys(prefix).prefix, timeoutMs);
    return {
      // An upload of a part or more goes in place, as the parts of the byte store's multipart uploads.
      dataStore: new BucketUploadStore(objects, { expireAfterMs: uploads.expireAfterMs, onBytes, parted: partedOf(store) }, () =>
        client.destroy(),
      ),
      lockPath,
    };
  }
  const dataStore = new UploadDataStore(records, { expireAfterMs: uploads.expireAfterMs, fsync: media.fsync, onBytes });
  return { dataStore, lockPath };
}
