import type { Readable } from 'node:stream';
import { AppError } from '../errors.ts';
import type { StagedBytes, StagingSeam } from '../storage/byte-store.ts';
import type { MediaPath } from './schemas.ts';
import { startingWith, type SentFile, type StreamPublish } from './stream-publish.ts';

/** A file part sent into the object store as it arrived, waiting for the request's verdict. */
export interface StreamedPart {
  readonly target: MediaPath;
  /** Bytes received of the part. */
  readonly size: number;
  /** Sent whole: published or aborted once the request is judged. Absent when refused. */
  readonly sent?: SentFile;
  /** Why the store refused it (content, name taken, bucket failing): nothing of it is kept. */
  readonly refusal?: AppError;
}

export type ReceivedPart = { staged: StagedBytes; streamed?: undefined } | { streamed: StreamedPart; staged?: undefined };

/**
 * Takes in one file part. With a target known as the part starts, its first `streamFrom` bytes are
 * held in memory: a part that ends sooner is staged like any other (small files keep their one
 * PutObject and their audio metadata); a longer one streams into the store as it arrives, so the
 * host holds at most the store's queue of parts (S3: in files of the staging directory). A refusal
 * by the store is kept for the answer while the rest of the part is read, as the form goes on.
 */
export async function receivePart(
  file: Readable,
  target: MediaPath | undefined,
  store: StagingSeam,
  streaming: StreamPublish | undefined,
): Promise<ReceivedPart> {
  if (!target || !streaming) return { staged: await store.stage(file) };
  const source = file[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let size = 0;
  const next = async () => {
    const read = await source.next();
    if (!read.done) size += read.value.length;
    return read;
  };
  // The first part's worth, copied into one buffer as it comes (what a chunk holds past it is kept).
  const first = Buffer.allocUnsafe(streaming.streamFrom);
  let past: Buffer | undefined;
  while (size < first.length) {
    const read = await next();
    // A copy of its own: staging may keep small bytes in memory, or move them to a worker thread.
    if (read.done) return { staged: await store.stage(Buffer.from(first.subarray(0, size))) };
    const copied = read.value.copy(first, size - read.value.length);
    if (copied < read.value.length) past = read.value.subarray(copied);
  }
  return streamFrom(past ? [first, past] : [first], next, target, streaming, () => size);
}

/**
 * Streams a part whose start is in `head` and the rest comes from `next`. Apart from receivePart,
 * so that nothing of its frame holds the start (a part's worth) while the rest of the body goes.
 */
async function streamFrom(
  head: Buffer[],
  next: () => Promise<IteratorResult<Buffer>>,
  target: MediaPath,
  streaming: StreamPublish,
  size: () => number,
): Promise<ReceivedPart> {
  try {
    const sent = await streaming.send(startingWith(head, { next }), target);
    return { streamed: { target, size: size(), sent } };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    // A source that failed (the client gone) throws again here: the request fails, not the file.
    while (!(await next()).done);
    return { streamed: { target, size: size(), refusal: error } };
  }
}
