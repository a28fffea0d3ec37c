import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

/**
 * One part of a body streamed into the bucket, kept in a file of the staging directory while it
 * fills and while it is sent, as tusd's and `@tus/s3-store`'s S3 stores keep theirs: the parts of an
 * upload take disk (the kernel's page cache), not the process's memory. Named `<pid>-<uuid>.part`,
 * so what a dead process left is swept at the next start. Read through the descriptor it was
 * written by, so a send can be tried again from its first byte whatever happens to the name.
 */
export class PartFile {
  size = 0;

  private constructor(
    private readonly file: string,
    private readonly handle: fs.FileHandle,
  ) {}

  static async create(directory: string): Promise<PartFile> {
    const file = path.join(directory, `${process.pid}-${randomUUID()}.part`);
    return new PartFile(file, await fs.open(file, 'wx+'));
  }

  /** Appends `bytes`. */
  async write(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length;) {
      const { bytesWritten } = await this.handle.write(bytes, at, bytes.length - at, this.size);
      at += bytesWritten;
      this.size += bytesWritten;
    }
  }

  /** Every byte written so far, from the first; a new stream each call. */
  reader(): Readable {
    return createReadStream('', { fd: this.handle, start: 0, autoClose: false, highWaterMark: 256 * 1024 });
  }

  /** Closes and deletes it; never throws. */
  async remove(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await fs.rm(this.file, { force: true });
  }
}
