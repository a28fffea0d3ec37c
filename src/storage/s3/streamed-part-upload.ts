import { UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import { Transform, type Readable } from 'node:stream';

export interface StreamedPartOptions {
  /** A client that never retries: a streamed body cannot be sent twice. */
  client: S3Client;
  bucket: string;
  key: string;
  /** The gateway may take nothing for this long while bytes wait for it. */
  idleMs: number;
}

/**
 * Sends one part whose `size` bytes arrive on `body` while it is sent (UploadPart with its
 * Content-Length declared up front); answers its ETag. The part takes as long as its sender needs,
 * so it has no deadline on the whole: it is cut with a TimeoutError when the gateway takes no byte
 * for `idleMs` while bytes wait for it, or waits for its answer that long after the last byte.
 * A sender that pauses is never cut for it (nothing waits then). `signal` cuts it at once: a body
 * that cannot come whole must be cut that way, since a request shorter than its Content-Length
 * would leave the gateway waiting for the rest.
 */
export async function uploadStreamedPart(
  options: StreamedPartOptions,
  uploadId: string,
  PartNumber: number,
  body: Readable,
  size: number,
  signal: AbortSignal,
): Promise<string | undefined> {
  const { idleMs } = options;
  const stalled = new AbortController();
  let movedAt = Date.now();
  // A relay whose transform runs only as the request takes bytes from it (its buffer is small):
  // the time of its last run is when the gateway last took something.
  const relay = new Transform({
    highWaterMark: 64 * 1024,
    transform(chunk: Buffer, _encoding, done) {
      movedAt = Date.now();
      done(null, chunk);
    },
    flush(done) {
      movedAt = Date.now();
      done();
    },
  });
  body.pipe(relay);
  const watchdog = setInterval(
    () => {
      // Bytes wait for the gateway, or the last one went and the answer is due.
      const waiting = relay.writableLength > 0 || relay.readableLength > 0 || relay.writableFinished;
      if (!waiting) movedAt = Date.now();
      else if (Date.now() - movedAt >= idleMs) {
        stalled.abort(
          Object.assign(new Error(`the gateway took nothing of part ${PartNumber} for ${idleMs} ms`), { name: 'TimeoutError' }),
        );
      }
    },
    Math.max(50, Math.floor(idleMs / 4)),
  );
  watchdog.unref();
  try {
    const answer = await options.client.send(
      new UploadPartCommand({ Bucket: options.bucket, Key: options.key, UploadId: uploadId, PartNumber, Body: relay, ContentLength: size }),
      { abortSignal: AbortSignal.any([signal, stalled.signal]) },
    );
    return answer.ETag;
  } finally {
    clearInterval(watchdog);
    body.unpipe(relay);
    relay.destroy();
  }
}
