import type { Piscina } from 'piscina';
import { createWorkerPool } from '../worker-pool.ts';
import type { RunningSha256Task } from './running-sha256.worker.ts';

/**
 * The sha256 of resumable uploads, extended by each chunk once it counts, in a thread of its own:
 * the event loop receiving the next chunk does not hash (1 GiB in 16 MiB chunks: 0.6 s of its
 * time), and the publish needs no second pass over the file. The thread reads the bytes back
 * from the page cache. An upload whose chunks did not all count in this process, in order, has
 * no digest here: the publish hashes it.
 */
export class RunningSha256 {
  private pool: Piscina | undefined;
  /** Each upload's last task: its tasks run one after another. */
  private readonly queued = new Map<string, Promise<string | undefined>>();

  /** Bytes `[from, to)` of `file` counted; from 0, the hash starts over. */
  extend(id: string, file: string, from: number, to: number): void {
    void this.enqueue({ op: 'extend', id, file, from, to });
  }

  /** The hex digest of the complete upload, when all its `size` bytes were hashed here; forgets it. */
  digest(id: string, size: number): Promise<string | undefined> {
    return this.enqueue({ op: 'digest', id, size });
  }

  forget(id: string): void {
    if (this.pool) void this.enqueue({ op: 'forget', id });
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
  }

  private enqueue(task: RunningSha256Task): Promise<string | undefined> {
    // Started on the first upload: a service that takes none has no thread for it.
    this.pool ??= createWorkerPool(new URL('./running-sha256.worker.ts', import.meta.url), 1);
    const pool = this.pool;
    // A failed task (a file gone) only loses the digest: the publish then hashes the file.
    const run = (this.queued.get(task.id) ?? Promise.resolve(undefined))
      .then(() => pool.run(task) as Promise<string | undefined>)
      .catch(() => undefined);
    this.queued.set(task.id, run);
    void run.then(() => {
      if (this.queued.get(task.id) === run) this.queued.delete(task.id);
    });
    return run;
  }
}
