import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';

/**
 * Uploads one thread carries at once. Publish tasks are short bursts of CPU (verify, metadata,
 * hash) between waits on the disk (fsync, run on libuv's threadpool), so one thread can overlap
 * many; further threads start only when the first ones are this busy.
 */
export const TASKS_PER_THREAD = 16;

const POOL_YOUNG_GENERATION_MB = 8;

type Balancer = NonNullable<ConstructorParameters<typeof Piscina>[0]>['loadBalancer'];

/**
 * Fills the first thread before the next instead of spreading tasks over every thread: on a
 * 2-core machine five threads that each JIT-compile the same code and wake for one task at a
 * time cost about half the throughput of one thread that stays warm (test/bench, README
 * "Benchmarks").
 */
const packingBalancer: Balancer = (_task, workers) => workers.find((worker) => worker.currentUsage < TASKS_PER_THREAD) ?? null;

/**
 * The piscina pool running publish.worker. From sources (vitest, tsx) the worker is a .ts file
 * and its threads need tsx as a loader; the compiled service runs the .js file directly.
 */
export function createPublishPool(maxThreads: number): Piscina {
  const fromSource = import.meta.url.endsWith('.ts');
  const filename = new URL(fromSource ? './publish.worker.ts' : './publish.worker.js', import.meta.url).href;
  const needsLoader = fromSource && !process.execArgv.some((arg) => arg.includes('tsx'));
  const execArgv = needsLoader
    ? [...process.execArgv, '--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href]
    : process.execArgv;
  return new Piscina({
    filename,
    execArgv,
    minThreads: 1,
    maxThreads,
    idleTimeout: 60_000,
    concurrentTasksPerWorker: TASKS_PER_THREAD,
    loadBalancer: packingBalancer,
    // Pool threads make little garbage; V8's default young generation (tens of MB per thread)
    // only grows the service's peak RSS (1 GiB c=4 benchmark: ~150 -> ~135 MiB).
    resourceLimits: { maxYoungGenerationSizeMb: POOL_YOUNG_GENERATION_MB },
  });
}
