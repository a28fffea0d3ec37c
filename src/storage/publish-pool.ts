import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';

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
  return new Piscina({ filename, execArgv, minThreads: 1, maxThreads, idleTimeout: 60_000 });
}
