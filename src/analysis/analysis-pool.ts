import type { Piscina } from 'piscina';
import { createWorkerPool } from '../worker-pool.ts';
import type { AnalysisOutcome, AnalysisTask } from './analysis.worker.ts';

/**
 * The analysis threads: one task per thread (a task is a whole file's worth of CPU). Started at
 * the first file, not with the service: a service that stores nothing starts no thread for it.
 */
export class AnalysisPool {
  private pool: Piscina | undefined;

  constructor(private readonly threads: number) {}

  run(task: AnalysisTask): Promise<AnalysisOutcome> {
    this.pool ??= createWorkerPool(new URL('./analysis.worker.ts', import.meta.url), this.threads, { tasksPerThread: 1 });
    return this.pool.run(task) as Promise<AnalysisOutcome>;
  }

  /** Stops at once: an analysis cut short leaves no result, so the file is analysed after the restart. */
  async close(): Promise<void> {
    await this.pool?.destroy();
  }
}
