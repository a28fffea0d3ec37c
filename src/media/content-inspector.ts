import type { Piscina } from 'piscina';
import type { ByteSource, PoolStats } from '../storage/byte-store.ts';
import { createWorkerPool } from '../worker-pool.ts';
import type { FirstBytesTask, Inspection, InspectTask } from './inspect.worker.ts';

const READY_TIMEOUT_MS = 2000;

/** The media rules' worker pool: judging content and reading audio metadata off the event loop. */
export class ContentInspector {
  private constructor(private readonly pool: Piscina) {}

  static create(maxThreads: number): ContentInspector {
    return new ContentInspector(createWorkerPool(new URL('./inspect.worker.ts', import.meta.url), maxThreads));
  }

  /** Small sources travel by copy: the bytes stay with the store for their commit. */
  inspect(source: ByteSource, extension: string, verifyContent: boolean): Promise<Inspection> {
    const task: InspectTask = { source, extension, verifyContent };
    return this.pool.run(task) as Promise<Inspection>;
  }

  /** The content check alone, on the first bytes of a file still arriving (no audio metadata). */
  judgeFirstBytes(bytes: Uint8Array, extension: string): Promise<Inspection> {
    const task: FirstBytesTask = { bytes, extension };
    return this.pool.run(task, { name: 'judgeFirstBytes' }) as Promise<Inspection>;
  }

  /** Readiness: the pool's threads answer. */
  async ready(): Promise<string[]> {
    const answer = await this.pool.run(null, { name: 'ping', signal: AbortSignal.timeout(READY_TIMEOUT_MS) }).catch(() => undefined);
    return answer === 'pong' ? [] : ['media inspect pool not answering'];
  }

  stats(): PoolStats {
    return { queueSize: this.pool.queueSize, utilization: this.pool.utilization, threads: this.pool.threads.length };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
