import type { Piscina } from 'piscina';
import { createWorkerPool } from '../worker-pool.ts';
import type { AnalysisOutcome, AnalysisTask } from './analysis.worker.ts';

/** The analysis threads: one task per thread (a task is a whole file's worth of CPU). */
export class AnalysisPool {
  private readonly pool: Piscina;

  constructor(threads: number) {
    this.pool = createWorkerPool(new URL('./analysis.worker.ts', import.meta.url), threads, { tasksPerThread: 1 });
  }

  run(task: AnalysisTask): Promise<AnalysisOutcome> {
    return this.pool.run(task) as Promise<AnalysisOutcome>;
  }

  /** Stops at once: an analysis cut short leaves no result, so the file is analysed after the restart. */
  close(): Promise<void> {
    return this.pool.destroy();
  }
}
