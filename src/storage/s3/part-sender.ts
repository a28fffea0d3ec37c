import { AbortMultipartUploadCommand, CreateMultipartUploadCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import type { CompletedPart } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type PQueue from 'p-queue';
import { asStorageError } from '../no-space.ts';
import { PartFile } from './part-file.ts';
import { statusOf } from './s3-errors.ts';

/** A part may take this long per MiB beyond the base timeout, as a single PUT may. */
const PART_MS_PER_MIB = 1000;

export interface PartSenderOptions {
  client: S3Client;
  /** A client that never retries, for parts sent from their files (each try reads the file anew). */
  streamClient: S3Client;
  /** Where the parts wait while they fill and while they are sent (the staging area's directory). */
  directory: string;
  bucket: string;
  key: string;
  /** The upload that writes the object (`<pid>-<uuid>`): its user metadata, fixed at creation. */
  upload: string;
  contentType: string | undefined;
  /** Bytes per part (the last one may be shorter). */
  partSize: number;
  /** Parts on this host's disk at once, filling or in flight. */
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
 * the way: each part fills a file (PartFile) and is sent from it, at most `queueSize` parts at
 * once, so this host's disk holds at most partSize x queueSize of an upload whatever the file's
 * size, and its memory none of the parts. Any failure (of the body or of a part) aborts the
 * multipart upload once the parts in flight have settled, so nothing of it stays in the bucket.
 * Completing is the caller's: the sha256 must be written beside the object, and the name checked,
 * between the last part and the completion.
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
    // A part's file that did not fit on this host's disk is code 507, not the bucket's failure.
    throw asStorageError(error);
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
  const { partSize, queueSize, directory } = options;
  const hash = createHash('sha256');
  const parts: CompletedPart[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let size = 0;
  /** The part filling, until it is sent (then its sending removes it). */
  let part: PartFile | undefined;
  const send = async (file: PartFile) => {
    await file.flush();
    part = undefined;
    const PartNumber = parts.length + 1;
    parts.push({ PartNumber });
    const sending = options.partSlots
      .add(() => uploadPartFile(options, uploadId, PartNumber, file, signal), { signal })
      .then(
        (ETag) => void (parts[PartNumber - 1] = { PartNumber, ETag }),
        (error: unknown) => void (failure ??= error),
      )
      .finally(() => file.remove());
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
        part ??= await PartFile.create(directory);
        const bytes = chunk.subarray(offset, offset + partSize - part.size);
        await part.write(bytes);
        offset += bytes.length;
        if (part.size === partSize) await send(part);
      }
    }
    // An empty last part is refused by S3; a body that ended on a part boundary needs none.
    if (failure === undefined && (part !== undefined || parts.length === 0)) await send(part ?? (await PartFile.create(directory)));
  } finally {
    await part?.remove();
    await Promise.all(inFlight);
  }
  if (failure !== undefined) throw failure;
  return { parts, size, sha256: hash.digest('hex') };
}

/** Tries of a part sent from its file: the regular client's own two (a stream is never retried by the SDK). */
const PART_FILE_TRIES = 2;

/** Sends one part from its file, trying again from its first byte once after a failure the gateway may not repeat; answers its ETag. */
async function uploadPartFile(options: PartSenderOptions, uploadId: string, PartNumber: number, file: PartFile, signal?: AbortSignal) {
  const abortSignal = partDeadline(options.timeoutMs, file.size, signal);
  for (let tried = 1; ; tried++) {
    const Body = file.reader();
    // The SDK pipes the body and never listens for its errors: a failed read of the file fails the try.
    const unreadable = new AbortController();
    Body.once('error', (error) => unreadable.abort(error));
    const command = new UploadPartCommand({
      Bucket: options.bucket,
      Key: options.key,
      UploadId: uploadId,
      PartNumber,
      Body,
      ContentLength: file.size,
    });
    try {
      return (await options.streamClient.send(command, { abortSignal: AbortSignal.any([abortSignal, unreadable.signal]) })).ETag;
    } catch (error) {
      if (abortSignal.aborted || tried >= PART_FILE_TRIES || refusedOutright(error)) throw error;
    }
  }
}

/** A 4xx other than a timeout or throttling: the same request would be refused again. */
function refusedOutright(error: unknown): boolean {
  const status = statusOf(error);
  return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** Sends one part (again: the last one sent under a number counts); answers its ETag. */
export async function uploadPart(
  options: Pick<PartSenderOptions, 'client' | 'bucket' | 'key' | 'timeoutMs'>,
  uploadId: string,
  PartNumber: number,
  bytes: Buffer,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const abortSignal = partDeadline(options.timeoutMs, bytes.length, signal);
  const answer = await options.client.send(
    new UploadPartCommand({
      Bucket: options.bucket,
      Key: options.key,
      UploadId: uploadId,
      PartNumber,
      Body: bytes,
      ContentLength: bytes.length,
    }),
    { abortSignal },
  );
  return answer.ETag;
}

/** A part's deadline: the base timeout and PART_MS_PER_MIB for each MiB of it, or `signal`, whichever comes first. */
function partDeadline(timeoutMs: number, bytes: number, signal?: AbortSignal): AbortSignal {
  const deadline = AbortSignal.timeout(timeoutMs + Math.ceil(bytes / 2 ** 20) * PART_MS_PER_MIB);
  return signal ? AbortSignal.any([signal, deadline]) : deadline;
}
