import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

/** Bytes written or read at a time. */
const WRITE_BYTES = 1024 * 1024;
/**
 * Buffers a reader takes turns with. A piped reader with no read-ahead (highWaterMark 0) is asked
 * for its next chunk only once the socket has taken the previous one whole (its write returned
 * true, or it drained): one would do; the second is a margin.
 */
const READ_BUFFERS = 2;

/**
 * One part of a body streamed into the bucket, kept in a file of the staging directory while it
 * fills and while it is sent, as tusd's and `@tus/s3-store`'s S3 stores keep theirs: the parts of an
 * upload take disk (the kernel's page cache), not the process's memory. Named `<pid>-<uuid>.part`,
 * so what a dead process left is swept at the next start. Read through the descriptor it was
 * written by, so a send can be tried again from its first byte whatever happens to the name.
 */
export class PartFile {
  /** Bytes taken so far, written or waiting to be. */
  size = 0;
  /** Bytes taken and not yet written: written a MiB at a time, in one call. */
  private waiting: Uint8Array[] = [];
  private written = 0;

  private constructor(
    private readonly file: string,
    private readonly handle: fs.FileHandle,
  ) {}

  static async create(directory: string): Promise<PartFile> {
    const file = path.join(directory, `${process.pid}-${randomUUID()}.part`);
    return new PartFile(file, await fs.open(file, 'wx+'));
  }

  /** Appends `bytes` (kept as they are until written: the caller does not reuse them). */
  async write(bytes: Uint8Array): Promise<void> {
    this.waiting.push(bytes);
    this.size += bytes.length;
    if (this.size - this.written >= WRITE_BYTES) await this.flush();
  }

  /** Writes what waits; the file then holds every byte taken. */
  async flush(): Promise<void> {
    while (this.waiting.length > 0) {
      const { bytesWritten } = await this.handle.writev(this.waiting, this.written);
      this.written += bytesWritten;
      this.waiting = unwritten(this.waiting, bytesWritten);
    }
  }

  /**
   * Every byte written so far, from the first; a new stream each call (flush first). Its chunks
   * are views of a few buffers used in turn, not a fresh MiB per read (a part's worth of garbage
   * per part sent): each chunk must be consumed before the next is asked for, as `pipe` does.
   */
  reader(): Readable {
    const { handle, size } = this;
    const buffers: Buffer[] = [];
    let position = 0;
    let reads = 0;
    return new Readable({
      highWaterMark: 0,
      read() {
        if (position >= size) return void this.push(null);
        const buffer = (buffers[reads++ % READ_BUFFERS] ??= Buffer.allocUnsafeSlow(Math.min(WRITE_BYTES, size)));
        handle.read(buffer, 0, Math.min(buffer.length, size - position), position).then(
          ({ bytesRead }) => {
            if (bytesRead === 0) return void this.destroy(new Error(`the part's file ended at ${position} of ${size} bytes`));
            position += bytesRead;
            this.push(buffer.subarray(0, bytesRead));
          },
          (error: Error) => this.destroy(error),
        );
      },
    });
  }

  /** Closes and deletes it; never throws. */
  async remove(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await fs.rm(this.file, { force: true });
  }
}

/** What of `chunks` a write of `written` bytes left. */
function unwritten(chunks: Uint8Array[], written: number): Uint8Array[] {
  const left: Uint8Array[] = [];
  for (const chunk of chunks) {
    if (written >= chunk.length) written -= chunk.length;
    else {
      left.push(chunk.subarray(written));
      written = 0;
    }
  }
  return left;
}
