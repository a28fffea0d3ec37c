import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { median } from './stats.ts';

export interface BenchOptions {
  /** Length of each measured run. */
  seconds: number;
  /** Unmeasured load before each measured run (JIT, pool threads, caches). */
  warmupSeconds: number;
  /** Runs per measurement; the median is quoted. */
  repeats: number;
  /** Write CPU profiles of the service to this directory. */
  cpuProfDir?: string;
}

/** Per-repetition figures of one measurement and their medians. */
export interface Repeated<T extends Record<string, number>> {
  median: T;
  runs: T[];
  /** Repetitions thrown away because other work on the machine disturbed them. */
  discarded: number;
}

/**
 * A repetition in which other processes used more than this share of the machine's CPU (see
 * lib/cpu.ts) is run again, once per measurement at most: on a shared 2-core machine a test
 * suite starting next door halves a figure. Discarded repetitions are counted in results.json.
 */
const DISTURBED_CPU_PCT = 20;
const MAX_REPEATS_FOR_DISTURBANCE = 1;

/** What scenarios share: options, fresh directories, and measurements taken once per invocation. */
export class BenchContext {
  private readonly memos = new Map<string, Promise<unknown>>();
  private dirs = 0;

  constructor(
    readonly options: BenchOptions,
    /** Everything a run writes lives under here and is deleted at the end. */
    readonly tmpRoot: string,
  ) {}

  /**
   * Runs `measure` once per invocation under `key`: a baseline (or a service figure another
   * scenario compares against) is measured once, whichever scenario asks first.
   */
  memo<T>(key: string, measure: () => Promise<T>): Promise<T> {
    if (!this.memos.has(key)) this.memos.set(key, measure());
    return this.memos.get(key) as Promise<T>;
  }

  /** A new empty directory for one run: files are never deleted between runs (see TOOLCHAIN.md). */
  freshDir(label: string): string {
    const dir = path.join(this.tmpRoot, `${String(++this.dirs).padStart(3, '0')}-${label}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  log(message: string): void {
    process.stderr.write(`  ${message}\n`);
  }

  /**
   * Runs each variant once per repetition, round-robin (A B, A B, A B): a burst of other work on
   * a shared machine, or slow drift, then falls on the baseline and the service alike.
   */
  async interleave<V extends Record<string, Record<string, number>>>(
    label: string,
    variants: { [K in keyof V]: (index: number) => Promise<V[K]> },
  ): Promise<{ [K in keyof V]: Repeated<V[K]> }> {
    const names = Object.keys(variants) as (keyof V & string)[];
    const runs = Object.fromEntries(names.map((name) => [name, [] as Record<string, number>[]]));
    let discarded = 0;
    for (let index = 0; index < this.options.repeats + discarded; index++) {
      const repetition: Record<string, Record<string, number>> = {};
      for (const name of names) {
        const figures = await variants[name](index);
        this.log(
          `${label} ${name} #${index + 1}: ${Object.entries(figures)
            .map(([k, v]) => `${k}=${round(v)}`)
            .join(' ')}`,
        );
        repetition[name] = figures;
      }
      const otherLoad = Math.max(...Object.values(repetition).map((figures) => figures.backgroundCpuPct ?? 0));
      if (otherLoad > DISTURBED_CPU_PCT && discarded < MAX_REPEATS_FOR_DISTURBANCE) {
        discarded += 1;
        this.log(`${label} #${index + 1}: other processes used ${Math.round(otherLoad)}% of the CPU; discarded, running it again`);
        continue;
      }
      for (const name of names) runs[name]!.push(repetition[name]!);
    }
    return Object.fromEntries(names.map((name) => [name, summarize(runs[name]!, discarded)])) as { [K in keyof V]: Repeated<V[K]> };
  }
}

function summarize<T extends Record<string, number>>(runs: T[], discarded: number): Repeated<T> {
  const keys = Object.keys(runs[0]!) as (keyof T)[];
  const medianFigures = Object.fromEntries(keys.map((key) => [key, median(runs.map((r) => r[key] as number))])) as T;
  return { median: medianFigures, runs, discarded };
}

export function round(value: number): number {
  return Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 100) / 100;
}
