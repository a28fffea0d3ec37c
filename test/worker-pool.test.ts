import { describe, expect, it } from 'vitest';
import { serviceBuild } from './helpers/process.ts';
import { waitFor } from './helpers/wait.ts';

type WorkerPoolModule = typeof import('../src/worker-pool.ts');
const compiled = async () => (await import(`${serviceBuild}/worker-pool.js`)) as WorkerPoolModule;

describe('worker pools', () => {
  // piscina tries require() first. On Node 24 a thread stopped while require() wraps an ES module
  // aborts the whole process (a CI run's service died by SIGABRT in its stop, in
  // CreateRequiredModuleFacade); import() lets the stop end only the thread.
  it('load a thread’s module with import(), not require(), in the compiled service', async () => {
    const { createWorkerPool } = await compiled();
    const pool = createWorkerPool(new URL('./fixtures/load-path.worker.mjs', import.meta.url), 1);
    try {
      expect(await pool.run(null)).toBe('import');
    } finally {
      await pool.destroy();
    }
  });

  // piscina emits a thread's error that no task can take (thrown while the pool stops the thread,
  // or as it starts) as the pool's 'error' event: with no listener, an uncaught exception of the
  // whole process (a CI run's test process caught one while a service stopped).
  it('hand a thread’s error outside any task to onThreadError, not to the process', async () => {
    const { createWorkerPool } = await compiled();
    const errors: Error[] = [];
    const pool = createWorkerPool(new URL('./fixtures/stray-error.worker.mjs', import.meta.url), 1, {
      onThreadError: (error) => errors.push(error),
    });
    try {
      await waitFor('the thread’s error', () => errors.length === 1, 10_000);
      expect(errors[0]!.message).toBe('stray thread error');
    } finally {
      await pool.destroy();
    }
  });
});
