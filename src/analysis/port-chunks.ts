import type { Readable } from 'node:stream';
import type { MessagePort } from 'node:worker_threads';

/** Chunks the sender may have out that the worker has not taken yet: what the worker holds is bounded by it. */
const WINDOW = 8;

/** How a failed read of the sent stream begins its message, wherever it is caught. */
export const STORED_READ_FAILED = 'reading the stored file failed';

type ToWorker = { chunk: Uint8Array } | { end: true } | { error: string };
type ToSender = { taken: true } | { cancel: true };

/**
 * On this thread: sends `source`'s bytes to the worker holding the port's other end, never more
 * than WINDOW chunks ahead of what it took (the stream waits meanwhile), so a stored object is
 * read by a worker as it arrives, without a copy on the host's disk. The worker ends it: its
 * port closes when it is done or gone, and the stream is let go of then.
 */
export function sendChunks(source: Readable, port: MessagePort): void {
  let ahead = 0;
  port.on('message', (message: ToSender) => {
    if ('cancel' in message) return void source.destroy();
    ahead -= 1;
    if (ahead < WINDOW) source.resume();
  });
  port.once('close', () => source.destroy());
  source.on('data', (chunk: Buffer) => {
    port.postMessage({ chunk } satisfies ToWorker);
    if (++ahead >= WINDOW) source.pause();
  });
  source.once('end', () => port.postMessage({ end: true } satisfies ToWorker));
  source.once('error', (error) => port.postMessage({ error: error.message } satisfies ToWorker));
}

/** In the worker: the chunks `sendChunks` sends, as they come; the sender stops when these are no longer read. */
export async function* receiveChunks(port: MessagePort): AsyncGenerator<Uint8Array> {
  const arrived: ToWorker[] = [];
  let wake: (() => void) | undefined;
  port.on('message', (message: ToWorker) => {
    arrived.push(message);
    wake?.();
  });
  let ended = false;
  try {
    for (;;) {
      while (arrived.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const message = arrived.shift()!;
      if ('end' in message) {
        ended = true;
        return;
      }
      if ('error' in message) throw new Error(`${STORED_READ_FAILED}: ${message.error}`);
      port.postMessage({ taken: true } satisfies ToSender);
      yield message.chunk;
    }
  } finally {
    if (!ended) port.postMessage({ cancel: true } satisfies ToSender);
    port.close();
  }
}
