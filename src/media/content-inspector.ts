import { MediaThreads } from '../media-threads.ts';
import type { ByteSource } from '../storage/byte-store.ts';
import type { PoolStats } from '../worker-pool.ts';
import type { FirstBytesTask, Inspection, InspectTask } from './inspect.worker.ts';

const READY_TIMEOUT_MS = 2000;

const WORKER = new URL('./inspect.worker.ts', import.meta.url);

/** The media rules' side of the media threads: judging content and reading audio metadata off the event loop. */
export class ContentInspector {
  private constructor(
    private readonly threads: MediaThreads,
    /** Threads of its own (stopped with it), not the service's shared ones. */
    private readonly owned: boolean,
  ) {}

  /** On the service's media threads, or on threads of its own when given a pool size. */
  static create(threads: MediaThreads | number): ContentInspector {
    return typeof threads === 'number' ? new ContentInspector(MediaThreads.create(threads), true) : new ContentInspector(threads, false);
  }

  /** Small sources travel by copy: the bytes stay with the store for their commit. */
  inspect(source: ByteSource, extension: string, verifyContent: boolean): Promise<Inspection> {
    const task: InspectTask = { source, extension, verifyContent };
    return this.threads.run<Inspection>(WORKER, task);
  }

  /** The content check alone, on the first bytes of a file still arriving (no audio metadata). */
  judgeFirstBytes(bytes: Uint8Array, extension: string): Promise<Inspection> {
    const task: FirstBytesTask = { bytes, extension };
    return this.threads.run<Inspection>(WORKER, task, { name: 'judgeFirstBytes' });
  }

  /** Readiness: the pool's threads answer. */
  async ready(): Promise<string[]> {
    const answer = await this.threads
      .run<string>(WORKER, null, { name: 'ping', signal: AbortSignal.timeout(READY_TIMEOUT_MS) })
      .catch(() => undefined);
    return answer === 'pong' ? [] : ['media inspect pool not answering'];
  }

  stats(): PoolStats {
    return this.threads.stats();
  }

  async close(): Promise<void> {
    if (this.owned) await this.threads.close();
  }
}
