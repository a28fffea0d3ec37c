import { Transform, type TransformCallback } from 'node:stream';

/**
 * Passes a body through unchanged while keeping a copy of up to `limit` bytes. `onComplete` runs
 * only when the whole body went through and fitted: a cut or oversized body is never reported.
 */
export class BodyRecorder extends Transform {
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(
    private readonly limit: number,
    private readonly onComplete: (body: Buffer) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#size += chunk.length;
    if (this.#size <= this.limit) this.#chunks.push(chunk);
    else this.#chunks = [];
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#size <= this.limit) this.onComplete(Buffer.concat(this.#chunks, this.#size));
    this.#chunks = [];
    callback();
  }
}
