import type { ObjectKey } from '../storage/byte-store.ts';

const id = (key: ObjectKey) => `${key.directory}\0${key.name}`;

/**
 * Files waiting for analysis, each once, run `concurrency` at a time in the order they came. At
 * most `maxQueue` wait in memory: a file turned away is still without a result on disk, and once
 * the queue has drained `onOverflowDrained` asks for a scan that finds it.
 */
export class AnalysisQueue {
  private readonly waiting = new Map<string, ObjectKey>();
  private readonly runningIds = new Set<string>();
  private overflowed = false;
  private stopped = false;

  constructor(
    private readonly limits: { concurrency: number; maxQueue: number },
    private readonly run: (key: ObjectKey) => Promise<void>,
    private readonly onOverflowDrained: () => void,
  ) {}

  add(key: ObjectKey): void {
    if (this.stopped || this.waiting.has(id(key))) return;
    if (this.waiting.size >= this.limits.maxQueue) {
      this.overflowed = true;
      return;
    }
    this.waiting.set(id(key), key);
    this.pump();
  }

  get size(): number {
    return this.waiting.size + this.runningIds.size;
  }

  stop(): void {
    this.stopped = true;
    this.waiting.clear();
  }

  private pump(): void {
    for (const [next, key] of this.waiting) {
      if (this.runningIds.size >= this.limits.concurrency) return;
      // The same file twice at once would write its results twice: it waits for the first run.
      if (this.runningIds.has(next)) continue;
      this.waiting.delete(next);
      this.runningIds.add(next);
      void this.run(key).finally(() => {
        this.runningIds.delete(next);
        if (this.size === 0 && this.overflowed && !this.stopped) {
          this.overflowed = false;
          this.onOverflowDrained();
        }
        this.pump();
      });
    }
  }
}
