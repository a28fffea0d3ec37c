import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { pipeline, type Readable } from 'node:stream';
import { collectingYoungGarbage } from '../young-garbage.ts';
import { AppError } from '../../errors.ts';
import type { ObjectDescriber } from './object-describer.ts';
import { isConditionalConflict, isPreconditionFailed, mayHaveLanded } from './s3-errors.ts';
import type { StagedUpload } from '../staging/staging-area.ts';
import type { UnsettledPuts } from './unsettled-puts.ts';

/** A PUT may take this long per MiB beyond the base timeout (a 1 GiB upload: ~17 min at most). */
const PUT_MS_PER_MIB = 1000;
/** AWS answers 409 while another conditional write of the key is in flight: try again, a few times. */
const CONFLICT_RETRIES = 3;
/** The staged file goes to the socket in 1 MiB reads (16x fewer reads and socket writes than the default 64 KiB). */
const READ_CHUNK_BYTES = 1024 * 1024;

interface Bucket {
  client: S3Client;
  describer: ObjectDescriber;
  unsettled: UnsettledPuts;
  bucket: string;
  timeoutMs: number;
}

interface NewObject {
  key: string;
  held: StagedUpload;
  sha256: string;
  metadata: Record<string, string>;
  contentType: string | undefined;
}

/** Thrown when the PUT may have stored the object and the bucket could not be asked whether it did. */
export class OutcomeUnknown extends Error {
  constructor(cause: unknown) {
    super('the outcome of the PUT is unknown', { cause });
  }
}

/**
 * Publishes staged bytes with one PutObject carrying `If-None-Match: *`: the bucket refuses it
 * (412) when the key exists, so no object is ever replaced and of concurrent writers exactly one
 * wins (RGW, MinIO and AWS enforce this on PutObject; RGW 16 not on multipart uploads or copies,
 * which is why files are limited to one PUT). Answers the new object's version (its ETag); 412 is
 * FILE_EXISTS; any other failure is thrown as the SDK gave it.
 *
 * A PUT that fails without a definite answer (its deadline passed, the connection broke) may
 * still have stored the object: the key is then asked (HeadObject) before anything is answered.
 * Found with this upload's name and sha256, the PUT succeeded; absent or unreachable, the outcome
 * is unknown (OutcomeUnknown), and the upload is remembered so that the client's retry of the
 * same bytes, meeting the object that landed after all, is answered as stored and not 409.
 */
export async function putIfAbsent(bucketOf: Bucket, object: NewObject): Promise<string> {
  const { client, describer, unsettled, bucket, timeoutMs } = bucketOf;
  const { key, held, sha256, metadata, contentType } = object;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const answer = await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: held.bytes ?? fileBody(held.file),
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
      if (mayHaveLanded(error)) return findOut(bucketOf, object, error);
      if (!isPreconditionFailed(error)) throw error;
      // After a 409 our earlier attempt may still have landed: the object then names our upload.
      const existing = await describer.head(key).catch(() => undefined);
      if (existing?.upload === held.id) return existing.version;
      // The same bytes from an upload that was told "outcome unknown": this is the client's retry.
      if (existing?.sha256 === sha256 && (await unsettled.settle(existing.upload, key, sha256))) return existing.version;
      throw new AppError('FILE_EXISTS');
    }
  }
}

/** Asks the bucket whether a PUT that failed without an answer stored the object after all. */
async function findOut({ describer, unsettled }: Bucket, { key, held, sha256 }: NewObject, error: unknown): Promise<string> {
  const existing = await describer.head(key).catch(() => undefined);
  if (existing?.upload === held.id && existing.sha256 === sha256) return existing.version;
  // Another writer's object: this PUT was (or will be) refused by its If-None-Match.
  if (existing !== undefined) throw new AppError('FILE_EXISTS');
  await unsettled.remember(held.id, key, sha256);
  throw new OutcomeUnknown(error);
}

/** The staged file as a PUT body; a failed read fails the PUT, an aborted PUT closes the file. */
function fileBody(file: string): Readable {
  const body = collectingYoungGarbage();
  pipeline(createReadStream(file, { highWaterMark: READ_CHUNK_BYTES }), body, () => undefined);
  return body;
}
