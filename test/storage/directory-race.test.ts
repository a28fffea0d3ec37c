import { rm } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { afterAll, expect, it } from 'vitest';
import { tempRoot } from '../helpers/app.ts';
import { serviceBuild } from '../helpers/process.ts';

const ROUNDS = 500;
const THREADS = 2;

// Each thread makes the same new directories as the other, in lockstep (a shared counter as a
// barrier before each one), as two pool threads committing the first uploads into one new
// directory do: the one that finds the directory made by the other between its two looks
// (realpath, then lstat) must take it, not call it a dangling symlink.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.module).then(({ ensureDirectoryInside }) => {
  const barrier = new Int32Array(workerData.barrier);
  const problems = [];
  for (let round = 0; round < workerData.rounds; round++) {
    Atomics.add(barrier, 0, 1);
    while (Atomics.load(barrier, 0) < (round + 1) * workerData.threads);
    const found = ensureDirectoryInside(workerData.root, 'made-' + round + '/inner');
    if (!found.ok) problems.push(found.problem);
  }
  parentPort.postMessage(problems);
});
`;

let root: string | undefined;
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

it('two threads making the same new directory at once both get it', { timeout: 60_000 }, async () => {
  root = await tempRoot('directory-race-');
  const barrier = new SharedArrayBuffer(4);
  const module = `${serviceBuild}/storage/local/directory-inside.js`;
  const problems = await Promise.all(
    Array.from({ length: THREADS }, async () => {
      const worker = new Worker(WORKER, { eval: true, workerData: { module, barrier, root, rounds: ROUNDS, threads: THREADS } });
      try {
        return await new Promise<string[]>((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
        });
      } finally {
        await worker.terminate();
      }
    }),
  );
  expect(problems.flat()).toEqual([]);
});
