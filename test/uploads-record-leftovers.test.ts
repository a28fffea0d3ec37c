import { randomUUID } from 'node:crypto';
import { readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { createUpload, headUpload } from './helpers/tus.ts';
import { waitFor } from './helpers/wait.ts';

const HOUR_MS = 60 * 60_000;

/** A record write's temp file, `<id>.<uuid>.tmp`, as a process killed between its write and its rename leaves it. */
async function leftover(root: string, id: string, ageMs: number): Promise<string> {
  const name = `${id}.${randomUUID()}.tmp`;
  const file = path.join(root, '.resumable', name);
  await writeFile(file, JSON.stringify({ id, size: 1000, offset: 0, metadata: {}, creationDate: new Date().toISOString() }));
  const when = new Date(Date.now() - ageMs);
  await utimes(file, when, when);
  return name;
}

describe("what a killed process left of an upload record's write in .resumable/", () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ server: { idleTimeoutMs: 1000 }, uploads: { sweepIntervalMs: 1000 }, storage: { tempMaxAgeMs: 1000 } });
  });
  afterAll(() => service.close());

  const names = () => readdir(path.join(service.root, '.resumable'));

  it('is removed by the sweep once older than storage.tempMaxAgeMs; the upload, a young temp file and other files stay', async () => {
    const location = (await createUpload(service.url, 'left', 'over.mp3', 1000)).headers.get('location')!;
    const id = location.split('/').at(-1)!;
    const old = await leftover(service.root, id, HOUR_MS);
    // Of a write in progress: younger than the age (its clock an hour ahead, so it stays young).
    const young = await leftover(service.root, id, -HOUR_MS);
    const stranger = 'notes.tmp';
    await writeFile(path.join(service.root, '.resumable', stranger), 'not a record write');
    await utimes(path.join(service.root, '.resumable', stranger), new Date(0), new Date(0));

    // Bounded: a sweep every second.
    await waitFor('the old leftover swept', async () => !(await names()).includes(old), 10_000, 100);
    expect(await names()).toEqual(expect.arrayContaining([young, stranger, `${id}.json`]));
    expect((await headUpload(service.url, location)).status).toBe(200);
  });
});
