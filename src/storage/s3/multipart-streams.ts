import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { CreateMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Locker } from '@tus/utils';
import PQueue from 'p-queue';
import { AppError } from '../../errors.ts';
import type { Attributes, ObjectKey, StreamedObject } from '../byte-store.ts';
import type { PartedStore, PartedUpload, SentPart } from '../parted-store.ts';
import { completeWithoutReplace, exists } from './complete-without-replace.ts';
import type { ObjectKeys } from './object-keys.ts';
import { abortUpload, sendParts, uploadPart, type SentParts } from './part-sender.ts';
import { MAX_PARTS, MIN_PART_BYTES } from './s3-config.ts';
import { uploadStreamedPart } from './streamed-part-upload.ts';

export interface MultipartStreamsOptions {
  client: S3Client;
  /** A client that never retries, for parts streamed as they arrive (their bodies cannot be sent twice) or sent from their files. */
  streamClient: S3Client;
  /** Where the parts of a streamed body wait while they fill and while they are sent (the staging area's directory). */
  directory: string;
  bucket: string;
  keys: ObjectKeys;
  /** Locks object names while a multipart upload completes (Redis across hosts, else in-process). */
  locker: Locker;
  timeoutMs: number;
  partSize: number;
  /** Parts of one upload at once: in files for a streamed body, in memory for a resumable upload. */
  queueSize: number;
  /** Parts of all uploads in flight at once. */
  partsInFlight: number;
  /** The store's answer to a failure of the bucket (505), or the AppError itself. */
  fail: (error: unknown) => never;
  /** Told of each object a completion made, so the store's caches know it at once. */
  made: (Key: string, version: string, described: { sha256: string; attributes: Attributes }) => void;
}

/**
 * Bodies streamed into the bucket as the parts of one multipart upload each, at most `queueSize`
 * parts of one on this host's disk at a time (see sendParts), completed without replacing an
 * object (see completeWithoutReplace). The parts of every upload share one bound, so many uploads
 * at once do not queue each other's parts behind the gateway until their deadlines pass. The same
 * multipart uploads may also be built a part at a time across requests and hosts (PartedStore:
 * resumable uploads completing in place).
 */
export class MultipartStreams implements PartedStore {
  private readonly partSlots: PQueue;

  constructor(private readonly options: MultipartStreamsOptions) {
    this.partSlots = new PQueue({ concurrency: options.partsInFlight });
  }

  get partSize(): number {
    return this.options.partSize;
  }

  get queueSize(): number {
    return this.options.queueSize;
  }

  readonly minPartSize = MIN_PART_BYTES;
  readonly maxParts = MAX_PARTS;

  async stream(
    body: AsyncIterable<Buffer>,
    key: ObjectKey,
    contentType: string | undefined,
    signal?: AbortSignal,
  ): Promise<StreamedObject> {
    const { client, bucket, keys, timeoutMs, fail } = this.options;
    const Key = keys.of(key);
    const upload = this.uploadName();
    const sending = { ...this.options, key: Key, upload, contentType, partSlots: this.partSlots };
    // A taken name is refused before any byte is sent; the completion checks again under the lock.
    if (await exists({ client, bucket, timeoutMs }, Key).catch(fail)) throw new AppError('FILE_EXISTS');
    const sent = await sendParts(sending, body, signal).catch(fail);
    const abort = () => abortUpload(client, bucket, Key, sent.uploadId, timeoutMs);
    const object = this.completable(key, upload, sent, abort);
    return {
      ...object,
      // Nothing of a body that did not become the object stays in the bucket.
      complete: async (attributes) => {
        try {
          return await object.complete(attributes);
        } catch (error) {
          await abort();
          throw error;
        }
      },
    };
  }

  async beginParts(key: ObjectKey, contentType: string | undefined): Promise<PartedUpload> {
    const { client, bucket, keys, timeoutMs, fail } = this.options;
    const upload = this.uploadName();
    const created = await client
      .send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: keys.of(key), ContentType: contentType, Metadata: { upload } }), {
        abortSignal: AbortSignal.timeout(timeoutMs),
      })
      .catch(fail);
    return { key: { directory: key.directory, name: key.name }, uploadId: created.UploadId!, upload };
  }

  async sendPart(parted: PartedUpload, partNumber: number, bytes: Buffer): Promise<SentPart> {
    const { client, bucket, keys, timeoutMs, fail } = this.options;
    const sending = { client, bucket, key: keys.of(parted.key), timeoutMs };
    const ETag = await this.partSlots.add(() => uploadPart(sending, parted.uploadId, partNumber, bytes)).catch(fail);
    return { PartNumber: partNumber, ETag: ETag ?? '', size: bytes.length };
  }

  async streamPart(parted: PartedUpload, partNumber: number, body: Readable, size: number, signal: AbortSignal): Promise<SentPart> {
    const { streamClient: client, bucket, keys, timeoutMs, fail } = this.options;
    const sending = { client, bucket, key: keys.of(parted.key), idleMs: timeoutMs };
    const ETag = await this.partSlots
      .add(() => uploadStreamedPart(sending, parted.uploadId, partNumber, body, size, signal), { signal })
      .catch(fail);
    return { PartNumber: partNumber, ETag: ETag ?? '', size };
  }

  partsSent(parted: PartedUpload, sent: { parts: readonly SentPart[]; size: number; sha256: string }): StreamedObject {
    const parts = sent.parts.map(({ PartNumber, ETag }) => ({ PartNumber, ETag }));
    // The parts' owner drops them (abandonParts) once it has decided: a passing failure may be retried.
    return this.completable(
      parted.key,
      parted.upload,
      { uploadId: parted.uploadId, parts, size: sent.size, sha256: sent.sha256 },
      async () => undefined,
    );
  }

  abandonParts(parted: PartedUpload): Promise<void> {
    const { client, bucket, keys, timeoutMs } = this.options;
    return abortUpload(client, bucket, keys.of(parted.key), parted.uploadId, timeoutMs);
  }

  /** Names a writer as its objects' `upload` metadata carries it (see object-metadata.ts). */
  private uploadName(): string {
    return `${process.pid}-${randomUUID()}`;
  }

  private completable(key: ObjectKey, upload: string, sent: SentParts, abort: () => Promise<void>): StreamedObject {
    const { client, bucket, keys, locker, timeoutMs, fail, made } = this.options;
    const Key = keys.of(key);
    return {
      size: sent.size,
      sha256: sent.sha256,
      complete: async (attributes) => {
        const version = await completeWithoutReplace({ client, bucket, keys, locker, timeoutMs }, Key, upload, sent, attributes).catch(
          fail,
        );
        made(Key, version, { sha256: sent.sha256, attributes });
        return { key: { ...key }, size: sent.size, sha256: sent.sha256, modified: new Date(), version, attributes };
      },
      abort,
    };
  }
}
