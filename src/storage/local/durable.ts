import fs from 'node:fs';
import { promisify } from 'node:util';

const fsyncFd = promisify(fs.fsync);
const openFd = promisify(fs.open);
const closeFd = promisify(fs.close);

/**
 * fsync on libuv's threadpool: the calling thread (a pool thread carrying several uploads) goes
 * on with the others while the disk works.
 */
export function flushFile(fd: number): Promise<void> {
  return fsyncFd(fd);
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for directory entries: `sync(dir)` resolves once an fsync of `dir` that began
 * after the call has completed, so the caller's new link is durable. Callers that arrive while
 * an fsync is running share the next one: N uploads into one directory cost a few fsyncs, not N.
 */
export class DirectorySyncer {
  private readonly waiting = new Map<string, Waiter[]>();

  sync(directory: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const queue = this.waiting.get(directory);
      if (queue) {
        queue.push({ resolve, reject });
        return;
      }
      this.waiting.set(directory, [{ resolve, reject }]);
      void this.drain(directory);
    });
  }

  private async drain(directory: string): Promise<void> {
    for (let batch = this.take(directory); batch.length > 0; batch = this.take(directory)) {
      try {
        await fsyncDirectory(directory);
        for (const waiter of batch) waiter.resolve();
      } catch (error) {
        for (const waiter of batch) waiter.reject(error);
      }
    }
    this.waiting.delete(directory);
  }

  /** The callers so far; later ones queue for the next fsync. */
  private take(directory: string): Waiter[] {
    const batch = this.waiting.get(directory) ?? [];
    this.waiting.set(directory, []);
    return batch;
  }
}

async function fsyncDirectory(directory: string): Promise<void> {
  const fd = await openFd(directory, 'r');
  try {
    await fsyncFd(fd);
  } finally {
    await closeFd(fd);
  }
}
