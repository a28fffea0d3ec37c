import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Locker } from '@tus/utils';
import PQueue from 'p-queue';
import { AppError } from '../../errors.ts';
import type { Attributes, ObjectKey, StreamedObject } from '../byte-store.ts';
import { completeWithoutReplace, exists } from './complete-without-replace.ts';
import type { ObjectKeys } from './object-keys.ts';
import { abortUpload, sendParts } from './part-sender.ts';

export interface MultipartStreamsOptions {
  client: S3Client;
  bucket: string;
  keys: ObjectKeys;
  /** Locks object names while a multipart upload completes (Redis across hosts, else in-process). */
  locker: Locker;
  timeoutMs: number;
  partSize: number;
  /** Parts of one upload in memory or in flight at once. */
  queueSize: number;
  /** Parts of all uploads in flight at once. */
  partsInFlight: number;
  /** The store's answer to a failure of the bucket (505), or the AppError itself. */
  fail: (error: unknown) => never;
  /** Told of each object a completion made, so the store's caches know it at once. */
  made: (Key: string, version: string, described: { sha256: string; attributes: Attributes }) => void;
}

/**
 * Bodies streamed into the bucket as the parts of one multipart upload each, never staged on this
 * host (see sendParts), completed without replacing an object (see completeWithoutReplace). The
 * parts of every upload share one bound, so many uploads at once do not queue each other's parts
 * behind the gateway until their deadlines pass.
 */
export class MultipartStreams {
  private readonly partSlots: PQueue;

  constructor(private readonly options: MultipartStreamsOptions) {
    this.partSlots = new PQueue({ concurrency: options.partsInFlight });
  }

  async stream(
    body: AsyncIterable<Buffer>,
    key: ObjectKey,
    contentType: string | undefined,
    signal?: AbortSignal,
  ): Promise<StreamedObject> {
    const { client, bucket, keys, locker, timeoutMs, partSize, queueSize, fail, made } = this.options;
    const Key = keys.of(key);
    const upload = `${process.pid}-${randomUUID()}`;
    const sending = { client, bucket, key: Key, upload, contentType, timeoutMs, partSlots: this.partSlots, partSize, queueSize };
    const completion = { client, bucket, keys, locker, timeoutMs };
    // A taken name is refused before any byte is sent; the completion checks again under the lock.
    if (await exists(completion, Key).catch(fail)) throw new AppError('FILE_EXISTS');
    const sent = await sendParts(sending, body, signal).catch(fail);
    return {
      size: sent.size,
      sha256: sent.sha256,
      complete: async (attributes) => {
        const version = await completeWithoutReplace(completion, Key, upload, sent, attributes).catch(fail);
        made(Key, version, { sha256: sent.sha256, attributes });
        return { key: { ...key }, size: sent.size, sha256: sent.sha256, modified: new Date(), version, attributes };
      },
      abort: () => abortUpload(client, bucket, Key, sent.uploadId, timeoutMs),
    };
  }
}
