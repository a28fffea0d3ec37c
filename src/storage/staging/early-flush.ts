import type fs from 'node:fs/promises';

/** The step between flushes; smaller and larger steps measured the same (test/bench/NOTES.md). */
const EARLY_FLUSH_BYTES = 2 * 1024 * 1024;

/**
 * Flushes bytes being written to disk while the rest still arrives (staged uploads, resumable
 * chunks), so the fsync that makes them count finds little left to write: one fsync of a whole
 * 1 GiB upload at its end halves throughput (shared TOOLCHAIN.md), and tus sends the next chunk
 * only after this one answered, the disk idle while it arrived. At most one flush at a time; the
 * final fsync still decides (errors here are its to report).
 */
export class EarlyFlush {
  private running: Promise<void> | undefined;
  private flushedUpTo = 0;

  constructor(private readonly file: fs.FileHandle) {}

  wrote(bytes: number): void {
    if (this.running || bytes - this.flushedUpTo < EARLY_FLUSH_BYTES) return;
    this.flushedUpTo = bytes;
    this.running = this.file
      .datasync()
      .catch(() => undefined)
      .finally(() => (this.running = undefined));
  }

  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }
}
