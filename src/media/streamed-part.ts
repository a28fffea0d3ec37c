import type { Readable } from 'node:stream';
import { AppError } from '../errors.ts';
import type { StagedBytes, StagingSeam } from '../storage/byte-store.ts';
import type { MediaPath } from './schemas.ts';
import type { SentFile, StreamPublish } from './stream-publish.ts';

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
 * host holds at most the store's parts in memory and nothing on disk. A refusal by the store is
 * kept for the answer while the rest of the part is read, as the form goes on after it.
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
  const head: Buffer[] = [];
  while (size < streaming.streamFrom) {
    const read = await next();
    if (read.done) return { staged: await store.stage(Buffer.concat(head, size)) };
    head.push(read.value);
  }
  const first = Buffer.concat(head, size);
  head.length = 0;
  try {
    const sent = await streaming.send(startingWith(first, next), target);
    return { streamed: { target, size, sent } };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    // A source that failed (the client gone) throws again here: the request fails, not the file.
    while (!(await next()).done);
    return { streamed: { target, size, refusal: error } };
  }
}

async function* startingWith(first: Buffer, next: () => Promise<IteratorResult<Buffer>>): AsyncGenerator<Buffer> {
  yield first;
  for (let read = await next(); !read.done; read = await next()) yield read.value;
}
