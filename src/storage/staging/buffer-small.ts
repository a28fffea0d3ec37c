import { finished, type Readable } from 'node:stream';

export interface Head {
  /** What was read so far, in order. */
  chunks: Buffer[];
  size: number;
  /** True when the stream ended within the limit: `chunks` is all of it. */
  ended: boolean;
}

/**
 * Reads `source` until it ends or more than `limit` bytes have arrived, whichever is first. Past
 * the limit the source is paused with what was read returned, so the caller can go on streaming
 * the rest (to disk) without losing a byte. Rejects on a source error or a premature close.
 */
export function readHead(source: Readable, limit: number): Promise<Head> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stopWatching = finished(source, { writable: false }, (error) => {
      source.off('data', onData);
      if (error) reject(error);
      else resolve({ chunks, size, ended: true });
    });
    function onData(chunk: Buffer): void {
      chunks.push(chunk);
      size += chunk.length;
      if (size <= limit) return;
      source.pause();
      source.off('data', onData);
      stopWatching();
      resolve({ chunks, size, ended: false });
    }
    source.on('data', onData);
  });
}

/** The chunks in one Buffer that owns its whole ArrayBuffer, so it can be transferred to a worker. */
export function ownedConcat(chunks: Buffer[], size: number): Buffer {
  const out = Buffer.allocUnsafeSlow(size);
  let offset = 0;
  for (const chunk of chunks) offset += chunk.copy(out, offset);
  return out;
}
