import type { Piscina } from 'piscina';
import type { TransferListItem } from 'node:worker_threads';
import { createWorkerPool } from '../../worker-pool.ts';
import { ChunkHashFeed } from './chunk-hash-feed.ts';
import type { RunningSha256Task } from './running-sha256.worker.ts';

/** Feeds nothing: for a chunk whose upload has no running hash here. */
const NO_FEED: ChunkHash = { update: () => undefined, counted: () => undefined, refused: () => undefined };

export type ChunkHash = Pick<ChunkHashFeed, 'update' | 'counted' | 'refused'>;

/**
 * The sha256 of resumable uploads, computed in a thread of its own while each chunk arrives and
 * moved on only by chunks that count, so the publish needs no second pass over the file and the
 * event loop receiving the bytes does not hash them. An upload has a
 * digest here only when every chunk of it counted in this process, in order; otherwise the
 * publish hashes the file.
 */
export class RunningSha256 {
  private pool: Piscina | undefined;
  /** Where each upload's hash will be once its queued tasks ran. */
  private readonly expected = new Map<string, number>();
  /** Each upload's last task: its tasks run one after another. */
  private readonly queued = new Map<string, Promise<string | undefined>>();

  /**
   * Hashes the chunk starting at `from` as it is fed. Its end must be told, `counted` or `refused`,
   * whatever happens: the upload's next chunk waits for it.
   */
  follow(id: string, from: number): ChunkHash {
    if (from !== 0 && this.expected.get(id) !== from) {
      this.forget(id);
      return NO_FEED;
    }
    const feed = new ChunkHashFeed();
    this.enqueue({ op: 'follow', id, from, port: feed.port, memory: feed.memory }, [feed.port]);
    return {
      update: (chunk) => feed.update(chunk),
      counted: (position) => {
        this.expected.set(id, position);
        feed.counted(position);
      },
      refused: () => {
        this.expected.set(id, from);
        feed.refused();
      },
    };
  }

  /** The hex digest of the complete upload, when all its `size` bytes were hashed here; forgets it. */
  async digest(id: string, size: number): Promise<string | undefined> {
    const hashed = this.expected.get(id) === size;
    this.expected.delete(id);
    return hashed ? this.enqueue({ op: 'digest', id, size }) : undefined;
  }

  forget(id: string): void {
    if (this.expected.delete(id)) void this.enqueue({ op: 'forget', id });
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
  }

  private enqueue(task: RunningSha256Task, transferList: TransferListItem[] = []): Promise<string | undefined> {
    // Started on the first upload: a service that takes none has no thread for it. Each chunk
    // being received is a task for as long as it lasts, so the thread takes any number at once.
    this.pool ??= createWorkerPool(new URL('./running-sha256.worker.ts', import.meta.url), 1, { tasksPerThread: Infinity });
    const pool = this.pool;
    // A failed task (the thread gone) loses the hash: the publish then hashes the file.
    const run = (this.queued.get(task.id) ?? Promise.resolve(undefined))
      .then(() => pool.run(task, { transferList }) as Promise<string | undefined>)
      .catch(() => {
        this.expected.delete(task.id);
        return undefined;
      });
    this.queued.set(task.id, run);
    void run.then(() => {
      if (this.queued.get(task.id) === run) this.queued.delete(task.id);
    });
    return run;
  }
}
