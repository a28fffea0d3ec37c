import { MediaThreads, type ThreadTaskOptions } from '../../media-threads.ts';
import type { PoolStats } from '../../worker-pool.ts';

const BYTE_WORKER = new URL('./byte.worker.ts', import.meta.url);

/**
 * The local store's tasks on the media threads (byte.worker.ts): the service's threads when given,
 * else threads of the store's own, `poolSize` at most. Closing waits for the tasks it started,
 * whoever owns the threads, and stops the threads only when they are its own.
 */
export class ByteTasks {
  private readonly running = new Set<Promise<unknown>>();
  private readonly threads: MediaThreads;
  private readonly owned: boolean;

  constructor(given: MediaThreads | undefined, poolSize: number) {
    this.threads = given ?? MediaThreads.create(poolSize);
    this.owned = given === undefined;
  }

  run<T>(task: unknown, options?: ThreadTaskOptions): Promise<T> {
    const done = this.threads.run<T>(BYTE_WORKER, task, options);
    this.running.add(done);
    const forget = () => this.running.delete(done);
    void done.then(forget, forget);
    return done;
  }

  /** Whether the threads answer a ping within `timeoutMs`. */
  async answers(timeoutMs: number): Promise<boolean> {
    const answer = await this.run<string>(null, { name: 'ping', signal: AbortSignal.timeout(timeoutMs) }).catch(() => undefined);
    return answer === 'pong';
  }

  stats(): PoolStats {
    return this.threads.stats();
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.running);
    if (this.owned) await this.threads.close();
  }
}
