import { PassThrough, pipeline, type Readable } from 'node:stream';

/**
 * The body of a gateway's answer, cut with a TimeoutError when the gateway stops sending for
 * `idleMs` while the reader wants more. A reader that stops reading (a player with enough
 * buffered) is never cut for it: the relay's buffer is then full, and waiting is the reader's
 * choice, not the gateway's stall. The SDK's socket timeouts cannot tell the two apart.
 */
export function idleBounded(body: Readable, idleMs: number): Readable {
  const relay = new PassThrough();
  let lastBytesAt = Date.now();
  body.on('data', () => (lastBytesAt = Date.now()));
  const watchdog = setInterval(
    () => {
      const readerWaits = !relay.writableNeedDrain;
      if (readerWaits && Date.now() - lastBytesAt >= idleMs)
        relay.destroy(Object.assign(new Error(`the gateway sent nothing for ${idleMs} ms`), { name: 'TimeoutError' }));
      if (!readerWaits) lastBytesAt = Date.now();
    },
    Math.max(50, Math.floor(idleMs / 4)),
  );
  watchdog.unref();
  // Ends, fails or is let go by its reader: either way the gateway's answer and the watchdog go.
  pipeline(body, relay, () => clearInterval(watchdog));
  return relay;
}
