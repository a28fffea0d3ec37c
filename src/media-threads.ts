import type { TransferListItem } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { createWorkerPool, workerFilename, type PoolStats, type WorkerPoolOptions } from './worker-pool.ts';

export interface ThreadTaskOptions {
  /** The worker module's export to call (its default export when absent). */
  name?: string;
  signal?: AbortSignal;
  transferList?: TransferListItem[];
}

/**
 * The service's media threads: content checks (media/inspect.worker.ts) and the local store's byte
 * work (storage/local/byte.worker.ts) run on one pool, each task naming its worker module. Each
 * thread is a V8 isolate of its own, resident whether busy or not, so one pool for both kinds
 * holds half the memory of one pool per kind; both are short bursts between waits on the disk.
 */
export class MediaThreads {
  private constructor(private readonly pool: Piscina) {}

  static create(poolSize: number, onThreadError?: WorkerPoolOptions['onThreadError']): MediaThreads {
    return new MediaThreads(createWorkerPool(undefined, poolSize, { onThreadError }));
  }

  run<T>(worker: URL, task: unknown, options: ThreadTaskOptions = {}): Promise<T> {
    return this.pool.run(task, { ...options, filename: workerFilename(worker) }) as Promise<T>;
  }

  stats(): PoolStats {
    return { queueSize: this.pool.queueSize, utilization: this.pool.utilization, threads: this.pool.threads.length };
  }

  /** Waits for the running tasks, then stops the threads. */
  close(): Promise<void> {
    return this.pool.close();
  }
}
