import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import type { ObjectKeys } from './object-keys.ts';
import { isPreconditionFailed } from './s3-errors.ts';

/**
 * Whether the engine enforces `If-None-Match: *` on CompleteMultipartUpload (AWS S3 and MinIO
 * do, Ceph RGW 16 does not): a multipart upload of one small part is completed onto a key that
 * exists, under the store's own `.probe/` (never listed). Refused (412): enforced, and no
 * writer of the bucket can replace a multipart object. Completed: only the service's lock keeps
 * its hosts from replacing each other's. Everything the probe writes is removed; undefined when
 * the bucket could not be asked.
 */
export async function probeCompletionCondition(
  client: S3Client,
  bucket: string,
  keys: ObjectKeys,
  timeoutMs: number,
): Promise<boolean | undefined> {
  const Key = keys.probe(randomUUID());
  const call = () => ({ abortSignal: AbortSignal.timeout(timeoutMs) });
  let UploadId: string | undefined;
  try {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'existing' }), call());
    UploadId = (await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }), call())).UploadId;
    const part = await client.send(new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber: 1, Body: 'replacing' }), call());
    const Parts = [{ PartNumber: 1, ETag: part.ETag }];
    try {
      await client.send(
        new CompleteMultipartUploadCommand({ Bucket: bucket, Key, UploadId, MultipartUpload: { Parts }, IfNoneMatch: '*' }),
        call(),
      );
      UploadId = undefined;
      return false;
    } catch (error) {
      if (isPreconditionFailed(error)) return true;
      throw error;
    }
  } catch {
    return undefined;
  } finally {
    if (UploadId !== undefined)
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId }), call()).catch(() => undefined);
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key }), call()).catch(() => undefined);
  }
}
