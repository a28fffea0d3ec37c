import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { AppError } from '../../errors.ts';
import type { ObjectDescriber } from './object-describer.ts';
import { isConditionalConflict, isPreconditionFailed } from './s3-errors.ts';
import type { StagedFile } from './staging-dir.ts';

/** A PUT may take this long per MiB beyond the base timeout (a 1 GiB upload: ~17 min at most). */
const PUT_MS_PER_MIB = 1000;
/** AWS answers 409 while another conditional write of the key is in flight: try again, a few times. */
const CONFLICT_RETRIES = 3;
/** The staged file goes to the socket in 1 MiB reads (16x fewer reads and socket writes than the default 64 KiB). */
const READ_CHUNK_BYTES = 1024 * 1024;

interface Bucket {
  client: S3Client;
  describer: ObjectDescriber;
  bucket: string;
  timeoutMs: number;
}

interface NewObject {
  key: string;
  held: StagedFile;
  metadata: Record<string, string>;
  contentType: string | undefined;
}

/**
 * Publishes staged bytes with one PutObject carrying `If-None-Match: *`: the bucket refuses it
 * (412) when the key exists, so no object is ever replaced and of concurrent writers exactly one
 * wins (RGW, MinIO and AWS enforce this on PutObject; RGW 16 not on multipart uploads or copies,
 * which is why files are limited to one PUT). Answers the new object's version (its ETag); 412 is
 * FILE_EXISTS; any other failure is thrown as the SDK gave it.
 */
export async function putIfAbsent(
  { client, describer, bucket, timeoutMs }: Bucket,
  { key, held, metadata, contentType }: NewObject,
): Promise<string> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const answer = await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: held.bytes ?? createReadStream(held.file, { highWaterMark: READ_CHUNK_BYTES }),
          ContentLength: held.size,
          ContentType: contentType,
          Metadata: metadata,
          IfNoneMatch: '*',
        }),
        { abortSignal: AbortSignal.timeout(timeoutMs + Math.ceil(held.size / 2 ** 20) * PUT_MS_PER_MIB) },
      );
      return (answer.ETag ?? '').replace(/^"|"$/g, '');
    } catch (error) {
      if (isConditionalConflict(error) && attempt < CONFLICT_RETRIES) continue;
      if (!isPreconditionFailed(error)) throw error;
      // After a 409 our earlier attempt may still have landed: the object then names our upload.
      const existing = await describer.head(key).catch(() => undefined);
      if (existing?.upload === held.id) return existing.version;
      throw new AppError('FILE_EXISTS');
    }
  }
}
