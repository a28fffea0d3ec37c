import type { Writable } from 'node:stream';

/** Chunks whose ArrayBuffer the producer gave up: free it once the chunk is on disk. */
const handedOver = new WeakSet<Uint8Array>();

/**
 * Gives `bytes` to staging for good: once a staging file has them, the memory of their whole
 * ArrayBuffer is freed at once rather than by the collector. The caller must keep no other view of
 * that ArrayBuffer. Why: V8 forces a young-generation collection only once the young ArrayBuffers
 * reach twice its default semi-space, which the V8 of Node 24 doubled, so the spent chunks of a
 * large upload piled up to that much resident memory before they were collected.
 */
export function handOver<T extends Uint8Array>(bytes: T): T {
  handedOver.add(bytes);
  return bytes;
}

function free(chunk: unknown): void {
  if (!(chunk instanceof Uint8Array) || !handedOver.has(chunk)) return;
  handedOver.delete(chunk);
  const { buffer } = chunk;
  // transfer() is ES2024: a runtime without it leaves the memory to the collector.
  if (buffer instanceof ArrayBuffer && typeof buffer.transfer === 'function' && !buffer.detached) buffer.transfer(0);
}

/** Makes `sink` free the handed-over chunks it has written (their write callback has run). */
export function freeWhenWritten<T extends Writable>(sink: T): T {
  const write = sink._write.bind(sink);
  sink._write = (chunk, encoding, callback) =>
    write(chunk, encoding, (error) => {
      if (!error) free(chunk);
      callback(error);
    });
  const writev = sink._writev?.bind(sink);
  if (writev) {
    sink._writev = (chunks, callback) =>
      writev(chunks, (error) => {
        if (!error) for (const { chunk } of chunks) free(chunk);
        callback(error);
      });
  }
  return sink;
}
