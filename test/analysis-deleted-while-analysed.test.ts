import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { analysisFinished } from './helpers/analysis.ts';
import { tempRoot } from './helpers/app.ts';
import { fixture } from './helpers/media.ts';
import { serviceBuild, startServiceProcess, type ServiceProcess } from './helpers/process.ts';
import { upload } from './helpers/upload.ts';
import { waitFor } from './helpers/wait.ts';

let service: ServiceProcess | undefined;
let root: string | undefined;
afterAll(async () => {
  await service?.stop('SIGKILL');
  if (root) await rm(root, { recursive: true, force: true });
});

const pauses = () => service!.output().split('paused at analysis').length - 1;

it('says nothing of an analysis whose file was deleted under it, and analyses the next file', async () => {
  root = await tempRoot();
  service = await startServiceProcess({ UPLOAD_DIR: path.join(root, 'media'), MEDIA_PAUSE_POINT: 'analysis' }, 60_000);
  expect((await upload(service.url, 'multipart', { directory: 'gone', filename: 'tone.wav', bytes: fixture('tone.wav') })).status).toBe(
    200,
  );
  await waitFor('the analysis to pause', () => pauses() === 1, 20_000);
  expect((await fetch(`${service.url}/media?directory=gone&filename=tone.wav`, { method: 'DELETE' })).status).toBe(200);
  expect((await upload(service.url, 'multipart', { directory: 'kept', filename: 'tone.wav', bytes: fixture('tone.wav') })).status).toBe(
    200,
  );
  service.child.kill('SIGUSR2');

  // The marker: the next file's analysis, queued after the deleted one's, pauses and then ends.
  await waitFor('the next analysis to pause', () => pauses() === 2, 20_000);
  service.child.kill('SIGUSR2');
  expect((await analysisFinished(service.url, 'kept', 'tone.wav')).analysis).toBe('done');
  expect(service.output()).not.toMatch(/audio analysis (failed|could not run)/);
}, 90_000);

// A file deleted between the store's answer and the thread's open: the read's error must reach the
// decode that awaits it. The .mp3 decoder first waits for its WebAssembly, and a read stream opened
// before then threw its 'error' with no listener, killing the thread (and, when the pool had just
// been stopped, the process).
it.each(['tone.mp3', 'tone.wav'])('fails the analysis of a %s gone before its thread opened it, and keeps the thread', async (name) => {
  const { createWorkerPool } = (await import(`${serviceBuild}/worker-pool.js`)) as typeof import('../src/worker-pool.ts');
  const dir = await tempRoot();
  const pool = createWorkerPool(new URL(`file://${serviceBuild}/analysis/analysis.worker.js`), 1, { tasksPerThread: 1 });
  try {
    const threadsBefore = pool.threads.map((thread) => thread.threadId);
    const task = {
      source: { file: path.join(dir, name) },
      extension: path.extname(name),
      peaksFile: path.join(dir, 'peaks'),
      samplesPerPixel: 256,
    };
    await expect(pool.run(task)).rejects.toThrow(/ENOENT/);
    expect(pool.threads.map((thread) => thread.threadId)).toEqual(threadsBefore);
  } finally {
    await pool.destroy();
    await rm(dir, { recursive: true, force: true });
  }
});
