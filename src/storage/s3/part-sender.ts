import { AbortMultipartUploadCommand, CreateMultipartUploadCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import type { CompletedPart } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type PQueue from 'p-queue';

/** A part may take this long per MiB beyond the base timeout, as a single PUT may. */
const PART_MS_PER_MIB = 1000;

export interface PartSenderOptions {
  client: S3Client;
  bucket: string;
  key: string;
  /** The upload that writes the object (`<pid>-<uuid>`): its user metadata, fixed at creation. */
  upload: string;
  contentType: string | undefined;
  /** Bytes per part (the last one may be shorter). */
  partSize: number;
  /** Parts held in memory or in flight at once, the one being filled included. */
  queueSize: number;
  timeoutMs: number;
  /**
   * The store's parts in flight to the gateway, of all its uploads: a part's deadline starts when
   * it leaves this queue, so time spent behind other uploads' parts is never counted against it.
   */
  partSlots: PQueue;
}

/** What the bytes sent came to: the parts CompleteMultipartUpload names, the size and sha256 of the whole. */
export interface SentParts {
  uploadId: string;
  parts: CompletedPart[];
  size: number;
  sha256: string;
}

/**
 * Sends a body to the bucket as the parts of one multipart upload while it arrives, hashing it on
 * the way: at most `queueSize` parts are in memory or in flight, so memory per upload stays at
 * partSize x queueSize whatever the file's size, and nothing touches the host's disk. Any failure
 * (of the body or of a part) aborts the multipart upload once the parts in flight have settled, so
 * nothing of it stays in the bucket. Completing is the caller's: the sha256 must be written
 * beside the object, and the name checked, between the last part and the completion.
 */
export async function sendParts(options: PartSenderOptions, body: AsyncIterable<Buffer>, signal?: AbortSignal): Promise<SentParts> {
  const { client, bucket, key, upload, contentType } = options;
  const created = await client.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType, Metadata: { upload } }),
    { abortSignal: AbortSignal.timeout(options.timeoutMs) },
  );
  const uploadId = created.UploadId!;
  try {
    return { uploadId, ...(await sendAll(options, uploadId, body, signal)) };
  } catch (error) {
    await abortUpload(client, bucket, key, uploadId, options.timeoutMs);
    throw error;
  }
}

/** Drops a multipart upload and the parts it holds (a failure to do so is left to the bucket's lifecycle rules). */
export async function abortUpload(client: S3Client, bucket: string, key: string, uploadId: string, timeoutMs: number): Promise<void> {
  await client
    .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }), {
      abortSignal: AbortSignal.timeout(timeoutMs),
    })
    .catch(() => undefined);
}

async function sendAll(options: PartSenderOptions, uploadId: string, body: AsyncIterable<Buffer>, signal?: AbortSignal) {
  const { partSize, queueSize } = options;
  const hash = createHash('sha256');
  const parts: CompletedPart[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let size = 0;
  // A part's buffer is filled again once the part is sent: the upload holds at most queueSize of
  // them, instead of a new one per part left for the garbage collector (RSS grew with the file).
  const spare: Buffer[] = [];
  let part: Buffer = Buffer.allocUnsafe(partSize);
  let filled = 0;
  const send = async (bytes: Buffer) => {
    const PartNumber = parts.length + 1;
    parts.push({ PartNumber });
    const sending = options.partSlots
      .add(() => uploadPart(options, uploadId, PartNumber, bytes, signal), { signal })
      .then(
        (ETag) => {
          parts[PartNumber - 1] = { PartNumber, ETag };
          if (bytes.length === partSize) spare.push(bytes);
        },
        (error: unknown) => void (failure ??= error),
      );
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
    // The next part takes a slot of the queue: wait until one is free.
    while (inFlight.size >= queueSize) await Promise.race(inFlight);
  };
  try {
    for await (const chunk of body) {
      if (failure !== undefined) break;
      hash.update(chunk);
      size += chunk.length;
      for (let offset = 0; offset < chunk.length;) {
        const copied = chunk.copy(part, filled, offset);
        filled += copied;
        offset += copied;
        if (filled === partSize) {
          await send(part);
          part = spare.pop() ?? Buffer.allocUnsafe(partSize);
          filled = 0;
        }
      }
    }
    // An empty last part is refused by S3; a body that ended on a part boundary needs none.
    if (failure === undefined && (filled > 0 || parts.length === 0)) await send(part.subarray(0, filled));
  } finally {
    await Promise.all(inFlight);
  }
  if (failure !== undefined) throw failure;
  return { parts, size, sha256: hash.digest('hex') };
}

/** Sends one part (again: the last one sent under a number counts); answers its ETag. */
export async function uploadPart(
  options: Pick<PartSenderOptions, 'client' | 'bucket' | 'key' | 'timeoutMs'>,
  uploadId: string,
  PartNumber: number,
  bytes: Buffer,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const deadline = AbortSignal.timeout(options.timeoutMs + Math.ceil(bytes.length / 2 ** 20) * PART_MS_PER_MIB);
  const answer = await options.client.send(
    new UploadPartCommand({
      Bucket: options.bucket,
      Key: options.key,
      UploadId: uploadId,
      PartNumber,
      Body: bytes,
      ContentLength: bytes.length,
    }),
    { abortSignal: signal ? AbortSignal.any([signal, deadline]) : deadline },
  );
  return answer.ETag;
}
