import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

/** Bytes written or read at a time. */
const WRITE_BYTES = 1024 * 1024;

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

  /** Every byte written so far, from the first; a new stream each call (flush first). */
  reader(): Readable {
    return createReadStream('', { fd: this.handle, start: 0, autoClose: false, highWaterMark: WRITE_BYTES });
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
