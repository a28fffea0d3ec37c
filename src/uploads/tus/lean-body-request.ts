import type { IncomingMessage, ServerResponse } from 'node:http';
import { finished } from 'node:stream';
import { NodeRequest } from 'srvx/node';

/** Bytes the body stream holds before the request is paused. */
const BODY_HIGH_WATER_MARK = 64 * 1024;

/**
 * The Request @tus/server is handed: srvx's NodeRequest with a leaner body. srvx builds the body
 * with Readable.toWeb, which copies every chunk (so that a consumer may transfer it; @tus/server's
 * Readable.fromWeb does not) and pauses the request every 16 KiB; the request's own chunks
 * spare that copy and those pauses (test/bench/NOTES.md).
 */
export function leanBodyRequest(req: IncomingMessage, res: ServerResponse): Request {
  const request = new NodeRequest({ req, res });
  if (req.method === 'PATCH' || req.method === 'POST') {
    let body: ReadableStream<Uint8Array> | undefined;
    Object.defineProperty(request, 'body', { get: () => (body ??= bodyStream(req)) });
  }
  return request;
}

/** The body as Readable.toWeb makes it, less the copies: errors, an early close and cancel are passed on the same way. */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let canceled = false;
  req.pause();
  const cleanup = finished(req, (error) => {
    cleanup();
    // A stream that errors again after it finished has nobody left to tell.
    req.on('error', () => undefined);
    if (error) controller.error((error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE' ? abortError(error) : error);
    else if (!canceled) controller.close();
  });
  req.on('data', (chunk: Buffer) => {
    controller.enqueue(chunk);
    if ((controller.desiredSize ?? 0) <= 0) req.pause();
  });
  return new ReadableStream<Uint8Array>(
    {
      start: (c) => void (controller = c),
      pull: () => void req.resume(),
      cancel: (reason: unknown) => {
        canceled = true;
        req.destroy(reason instanceof Error ? reason : undefined);
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: BODY_HIGH_WATER_MARK }),
  );
}

function abortError(cause: Error): Error {
  return Object.assign(new Error('The operation was aborted', { cause }), { name: 'AbortError', code: 'ABORT_ERR' });
}
