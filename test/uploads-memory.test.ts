import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempRoot } from './helpers/app.ts';
import { sha256 } from './helpers/media.ts';
import { startServiceProcess, type ServiceProcess } from './helpers/process.ts';
import { createUpload, largeMp3, patchUpload } from './helpers/tus.ts';

const MIB = 1024 * 1024;
const CHUNK = 16 * MIB;

async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** A resumable upload in 16 MiB PATCHes; the last one answers 200 with the stored file. */
async function resumable(url: string, directory: string, bytes: Buffer): Promise<Record<string, unknown>> {
  const created = await createUpload(url, directory, 'big.mp3', bytes.length);
  expect(created.status).toBe(201);
  const location = new URL(created.headers.get('location')!, url).pathname;
  let answer: Response | undefined;
  for (let offset = 0; offset < bytes.length; offset += CHUNK) {
    answer = await patchUpload(url, location, offset, bytes.subarray(offset, offset + CHUNK));
    expect(answer.status).toBe(offset + CHUNK >= bytes.length ? 200 : 204);
  }
  return (await answer!.json()) as Record<string, unknown>;
}

/**
 * Issue 30: the resumable path's peak memory. On Node 24 V8 collects young ArrayBuffers only once
 * they reach twice its default semi-space, so the spent request chunks of a large upload piled
 * up to that much resident memory; each chunk is now freed once written (src/storage/spent-buffers.ts).
 */
describe('resumable upload memory (service process)', () => {
  let root: string;
  let service: ServiceProcess;

  beforeAll(async () => {
    root = await tempRoot();
    const configFile = path.join(root, 'config.json');
    await writeFile(configFile, JSON.stringify({ media: { fsync: false, poolSize: 1 } }));
    service = await startServiceProcess({ CONFIG_FILE: configFile, UPLOAD_DIR: path.join(root, 'media') });
  });
  afterAll(async () => {
    await service?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('stores 64 MiB in 16 MiB PATCHes while the service grows by less than 32 MiB', { timeout: 120_000 }, async () => {
    const pid = service.child.pid!;
    // Warm up (pool threads, code paths), then restart the peak-RSS counter (proc(5): clear_refs 5).
    expect(await resumable(service.url, 'warm', largeMp3(2 * MIB))).toMatchObject({ code: 200 });
    const bytes = largeMp3(64 * MIB);
    await writeFile(`/proc/${pid}/clear_refs`, '5');
    const before = await memoryOf(pid);

    const stored = await resumable(service.url, 'big', bytes);
    const after = await memoryOf(pid);

    expect(stored).toMatchObject({ code: 200, files: [{ size: bytes.length, sha256: sha256(bytes) }] });
    process.stdout.write(`resumable 64 MiB: peak grew ${((after.peak - before.rss) / MIB).toFixed(1)} MiB\n`);
    expect(after.peak - before.rss).toBeLessThan(32 * MIB);
  });
});
