import type { MessagePort } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { createWorkerPool } from '../worker-pool.ts';
import type { AnalysisOutcome, AnalysisTask } from './analysis.worker.ts';

/**
 * Decoded audio arrives as large buffers behind small array objects, which are freed only when
 * the young generation is collected: a small one collects them before they pile up (the peak RSS
 * of a long file's analysis: test/bench/NOTES.md).
 */
const ANALYSIS_YOUNG_GENERATION_MB = 2;

/**
 * The analysis threads: one task per thread (a task is a whole file's worth of CPU). Started at
 * the first file, not with the service: a service that stores nothing starts no thread for it.
 */
export class AnalysisPool {
  private pool: Piscina | undefined;

  constructor(
    private readonly threads: number,
    private readonly onThreadError: (error: Error) => void,
  ) {}

  /** `transferList`: what the task hands over to the thread (the port of a streamed source). */
  run(task: AnalysisTask, transferList?: MessagePort[]): Promise<AnalysisOutcome> {
    this.pool ??= createWorkerPool(new URL('./analysis.worker.ts', import.meta.url), this.threads, {
      tasksPerThread: 1,
      youngGenerationMb: ANALYSIS_YOUNG_GENERATION_MB,
      onThreadError: this.onThreadError,
    });
    return this.pool.run(task, { transferList }) as Promise<AnalysisOutcome>;
  }

  /** Stops at once: an analysis cut short leaves no result, so the file is analysed after the restart. */
  async close(): Promise<void> {
    await this.pool?.destroy();
  }
}
