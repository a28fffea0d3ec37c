import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Puts the commits of a SQLite database in WAL mode with `synchronous = NORMAL` on the disk: an
 * fdatasync of its `-wal` file (what `synchronous = FULL` does inside each commit), but on libuv's
 * thread pool, so the event loop never waits for the disk. Syncs asked for while one is under way
 * share the next one (that one may have started before their commit).
 */
export class WalSync {
  private handle: Promise<fs.FileHandle> | undefined;
  private inFlight: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(private readonly walFile: string) {}

  /** Resolves once every commit made before the call is on the disk. */
  sync(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.inFlight) {
      this.inFlight = this.datasync().finally(() => (this.inFlight = undefined));
      return this.inFlight;
    }
    this.queued = this.inFlight
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.sync();
      });
    return this.queued;
  }

  /** Closes the file once the syncs under way are done. */
  async close(): Promise<void> {
    await Promise.allSettled([this.inFlight, this.queued]);
    await (await this.handle?.catch(() => undefined))?.close();
  }

  private async datasync(): Promise<void> {
    this.handle ??= this.openOnce();
    await (await this.handle).datasync();
  }

  /** The WAL file, and once its directory: the file's name itself must survive a power loss. */
  private async openOnce(): Promise<fs.FileHandle> {
    const directory = await fs.open(path.dirname(this.walFile), 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
    return fs.open(this.walFile, 'r');
  }
}
