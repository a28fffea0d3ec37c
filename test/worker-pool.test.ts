import { describe, expect, it } from 'vitest';
import { serviceBuild } from './helpers/process.ts';

const fixture = new URL('./fixtures/load-path.worker.mjs', import.meta.url);

describe('worker pools', () => {
  // piscina tries require() first. On Node 24 a thread stopped while require() wraps an ES module
  // aborts the whole process (a CI run's service died by SIGABRT in its stop, in
  // CreateRequiredModuleFacade); import() lets the stop end only the thread.
  it('load a thread’s module with import(), not require(), in the compiled service', async () => {
    const { createWorkerPool } = (await import(`${serviceBuild}/worker-pool.js`)) as typeof import('../src/worker-pool.ts');
    const pool = createWorkerPool(fixture, 1);
    try {
      expect(await pool.run(null)).toBe('import');
    } finally {
      await pool.destroy();
    }
  });
});
