import {
  CompleteMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Locker } from '@tus/utils';
import { AppError } from '../../errors.ts';
import type { Attributes } from '../byte-store.ts';
import type { ObjectKeys } from './object-keys.ts';
import type { SentParts } from './part-sender.ts';
import { isNotFound, isPreconditionFailed } from './s3-errors.ts';

export interface Completion {
  client: S3Client;
  bucket: string;
  keys: ObjectKeys;
  /** The lock on the object's name across the hosts of the service (Redis) or this process. */
  locker: Locker;
  timeoutMs: number;
}

/** Lock ids of object names, apart from the ids of resumable uploads the same locker serves. */
const lockIdOf = (key: string) => `s3-name:${key}`;

/**
 * Makes a multipart upload the object at `key` without replacing one: under the name's lock the
 * key is checked, the sha256 and attributes are written to the metadata object its readers look
 * for (so the object is never listed before them), and CompleteMultipartUpload carries
 * `If-None-Match: *`, which AWS S3 and MinIO enforce against every writer and Ceph RGW 16 ignores:
 * there the lock alone keeps the hosts of the service from replacing each other's objects.
 * FILE_EXISTS when the name is taken; answers the object's ETag. The parts stay on a failure:
 * whoever owns the multipart upload drops them (a streamed body at once, a resumable upload once
 * its outcome is decided, since a passing failure may be retried).
 */
export async function completeWithoutReplace(
  completion: Completion,
  key: string,
  upload: string,
  sent: SentParts,
  attributes: Attributes,
): Promise<string> {
  const { client, bucket, keys, locker, timeoutMs } = completion;
  const deadline = () => AbortSignal.timeout(timeoutMs);
  const lock = locker.newLock(lockIdOf(key));
  // Waiting is for rivals' completions, not for the bucket: the locker's own deadline bounds it.
  await lock.lock(new AbortController().signal, () => undefined);
  try {
    if (await exists(completion, key)) throw new AppError('FILE_EXISTS');
    const metadataKey = keys.multipartMetadata(upload);
    const written = JSON.stringify({ sha256: sent.sha256, attributes });
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: metadataKey, Body: written, ContentType: 'application/json' }), {
      abortSignal: deadline(),
    });
    try {
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: sent.uploadId,
          MultipartUpload: { Parts: sent.parts },
          IfNoneMatch: '*',
        }),
        // Completing assembles the parts: the gateway may take a while for many of them.
        { abortSignal: AbortSignal.timeout(timeoutMs + sent.parts.length * 100) },
      );
    } catch (error) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: metadataKey }), { abortSignal: deadline() }).catch(() => undefined);
      throw isPreconditionFailed(error) ? new AppError('FILE_EXISTS') : error;
    }
  } finally {
    await lock.unlock();
  }
  // Ceph RGW answers CompleteMultipartUpload with an empty ETag: HeadObject gives the real one.
  const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: deadline() });
  return (head.ETag ?? '').replace(/^"|"$/g, '');
}

/** Whether an object is at `key` now (HeadObject). */
export async function exists(
  { client, bucket, timeoutMs }: Pick<Completion, 'client' | 'bucket' | 'timeoutMs'>,
  key: string,
): Promise<boolean> {
  try {
    await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: AbortSignal.timeout(timeoutMs) });
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}
