import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';

/**
 * Tasks one thread carries at once. Pool tasks are short bursts of CPU (inspect, hash) between
 * waits on the disk (writes and fsyncs, run on libuv's threadpool), so one thread can overlap
 * many; further threads start only when the first ones are this busy.
 */
export const TASKS_PER_THREAD = 16;

const POOL_YOUNG_GENERATION_MB = 8;

/** What a pool reports to the metrics: tasks waiting, how busy its threads are, how many run. */
export interface PoolStats {
  queueSize: number;
  utilization: number;
  threads: number;
}

type Balancer = NonNullable<ConstructorParameters<typeof Piscina>[0]>['loadBalancer'];

/**
 * Fills the first thread before the next instead of spreading tasks over every thread: threads
 * that each JIT-compile the same code and wake for one task at a time lose throughput against
 * one thread that stays warm (test/bench/NOTES.md).
 */
const packingBalancer =
  (tasksPerThread: number): Balancer =>
  (_task, workers) =>
    workers.find((worker) => worker.currentUsage < tasksPerThread) ?? null;

const fromSource = import.meta.url.endsWith('.ts');

/**
 * The module a pool thread loads for `worker` (a URL of a .ts module, beside the caller): from
 * sources (vitest, tsx) the .ts file itself, whose threads need tsx as a loader; in the compiled
 * service the .js file.
 */
export function workerFilename(worker: URL): string {
  return fromSource ? worker.href : worker.href.replace(/\.ts$/, '.js');
}

export interface WorkerPoolOptions {
  tasksPerThread?: number;
  youngGenerationMb?: number;
  /**
   * A thread's error that no task takes (thrown after its task settled, or while the pool
   * stops): piscina emits it as the pool's 'error' event, an uncaught exception of the process
   * when nobody listens. By default a process warning.
   */
  onThreadError?: (error: Error) => void;
}

/**
 * A piscina pool running `worker`, or with no module of its own, the one each task names
 * (`filename` in its run options).
 */
export function createWorkerPool(
  worker: URL | undefined,
  poolSize: number,
  {
    tasksPerThread = TASKS_PER_THREAD,
    youngGenerationMb = POOL_YOUNG_GENERATION_MB,
    onThreadError = (error) => process.emitWarning(error),
  }: WorkerPoolOptions = {},
): Piscina {
  // More threads than cores only add JIT compiles, young generations and context switches (most
  // sat idle after loading their modules: test/bench/NOTES.md). Waits on the disk happen on
  // libuv's threadpool.
  const maxThreads = Math.max(1, Math.min(poolSize, availableParallelism()));
  const filename = worker && workerFilename(worker);
  const needsLoader = fromSource && !process.execArgv.some((arg) => arg.includes('tsx'));
  const execArgv = [
    ...process.execArgv,
    ...(needsLoader ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : []),
    // piscina loads a thread's module with require() before import(). On Node 24 a thread stopped
    // while require() wraps an ES module (a shutdown during a file's analysis) aborts the whole
    // process (module_wrap.cc, CreateRequiredModuleFacade); loaded by import(), the stop only ends
    // the thread.
    '--no-experimental-require-module',
  ];
  const pool = new Piscina({
    filename: filename ?? null,
    execArgv,
    minThreads: 1,
    maxThreads,
    idleTimeout: 60_000,
    concurrentTasksPerWorker: tasksPerThread,
    loadBalancer: packingBalancer(tasksPerThread),
    // Pool threads make little garbage; V8's default young generation (tens of MB per thread)
    // only grows the service's peak RSS (test/bench/NOTES.md).
    resourceLimits: { maxYoungGenerationSizeMb: youngGenerationMb },
  });
  pool.on('error', onThreadError);
  return pool;
}
