/**
 * Pulls exact byte counts out of a stream of chunks, holding only what has arrived and not yet
 * been taken (a parser of a chunked format reads its headers and samples through it).
 */
export class ByteReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private held: Buffer = Buffer.alloc(0);
  private ended = false;

  constructor(chunks: AsyncIterable<Uint8Array>) {
    this.iterator = chunks[Symbol.asyncIterator]();
  }

  /** Exactly `count` bytes, or fewer only at the end of the stream. */
  async take(count: number): Promise<Buffer> {
    while (this.held.length < count && !this.ended) {
      const next = await this.iterator.next();
      if (next.done) this.ended = true;
      else this.held = this.held.length === 0 ? asBuffer(next.value) : Buffer.concat([this.held, next.value]);
    }
    const out = this.held.subarray(0, count);
    this.held = this.held.subarray(out.length);
    return out;
  }

  /** What has arrived, at most `limit` bytes, at least one unless at the end (an empty buffer). */
  async some(limit: number): Promise<Buffer> {
    if (this.held.length === 0 && !this.ended) {
      const next = await this.iterator.next();
      if (next.done) this.ended = true;
      else this.held = asBuffer(next.value);
    }
    const out = this.held.subarray(0, limit);
    this.held = this.held.subarray(out.length);
    return out;
  }

  async skip(count: number): Promise<void> {
    let left = count;
    while (left > 0) {
      const skipped = await this.some(left);
      if (skipped.length === 0) return;
      left -= skipped.length;
    }
  }
}

const asBuffer = (chunk: Uint8Array) => (Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
