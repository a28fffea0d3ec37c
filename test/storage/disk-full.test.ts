import { execFileSync } from 'node:child_process';
import { mkdir, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, tempRoot, type RunningService } from '../helpers/app.ts';
import { filesUnder, fixture, sha256, uniqueMp3 } from '../helpers/media.ts';
import { upload } from '../helpers/upload.ts';

/** Writes into `file` until the filesystem answers ENOSPC. */
async function fill(file: string): Promise<void> {
  const handle = await open(file, 'w');
  const chunk = Buffer.alloc(16 * 1024, 1);
  try {
    for (;;) await handle.write(chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    await handle.close();
  }
}

/** Empty files anywhere below the root, the local backend's staging included. */
async function zeroByteFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
  const sizes = await Promise.all(files.map(async (file) => [file, (await stat(file)).size] as const));
  return sizes.filter(([, size]) => size === 0).map(([file]) => path.relative(root, file));
}

// A real full filesystem: a 2 MiB tmpfs (the tests run as root).
describe('a full disk', () => {
  let mount: string;
  let service: RunningService;
  let legacy: RunningService;
  const copied = fixture('tone-id3.mp3');

  beforeAll(async () => {
    mount = await tempRoot('media-full-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mount]);
    await mkdir(path.join(mount, 'semantic', 'hand'), { recursive: true });
    await mkdir(path.join(mount, 'legacy'));
    // Copied in by hand: its description has never been written.
    await writeFile(path.join(mount, 'semantic', 'hand', 'copied.mp3'), copied);
    // Analysis off: its derivatives (peaks, records) would take their share of the 2 MiB these tests measure.
    const storage = (root: string) => ({
      storage: { root: path.join(mount, root), minFreeBytes: 256 * 1024 },
      analysis: { enabled: false },
    });
    service = await startService(storage('semantic'));
    legacy = await startService({ ...storage('legacy'), media: { statusMode: 'legacy' } });
  });
  afterAll(async () => {
    try {
      await Promise.all([service?.close(), legacy?.close()]);
    } finally {
      execFileSync('umount', [mount]);
      await rm(mount, { recursive: true, force: true });
    }
  });

  it('is ready while free space is above storage.minFreeBytes', async () => {
    const res = await request(service.url).get('/readyz');
    expect(res.status).toBe(200);
  });

  describe('once full', () => {
    beforeAll(() => fill(path.join(mount, 'filler')));
    afterAll(() => rm(path.join(mount, 'filler')));

    it('reports low free space on /readyz (503)', async () => {
      const res = await request(service.url).get('/readyz');
      expect(res.status).toBe(503);
      expect(res.body.problems.join('\n')).toMatch(/free space .* below storage\.minFreeBytes/);
    });

    it.each([
      ['a small multipart upload', 'multipart', uniqueMp3('small')],
      ['a large multipart upload', 'multipart', Buffer.concat([uniqueMp3('large'), Buffer.alloc(1024 * 1024, 3)])],
      ['a urlencoded upload', 'urlencoded', uniqueMp3('form')],
    ] as const)('answers 507 naming the cause for %s and leaves no file', async (_label, kind, bytes) => {
      const res = await upload(service.url, kind, { directory: 'full', filename: 'x.mp3', bytes });
      expect(res.status).toBe(507);
      expect(res.body).toMatchObject({ code: 507 });
      expect(res.body.reason).toMatch(/^insufficient storage: .*ENOSPC/);
      expect((await filesUnder(service.root)).filter((file) => !file.startsWith('hand'))).toEqual([]);
      expect(await service.store.staged()).toEqual([]);
    });

    it('answers HTTP 200 with code 507 in legacy mode', async () => {
      const res = await upload(legacy.url, 'multipart', { directory: 'full', filename: 'x.mp3', bytes: uniqueMp3('legacy') });
      expect(res.status).toBe(200);
      expect(res.body.code).toBe(507);
    });

    it('still serves and lists a file whose description cannot be written, leaving no empty file', async () => {
      const res = await request(service.url).get('/media/hand/copied.mp3').buffer(true);
      expect(res.status).toBe(200);
      expect(res.headers.etag).toBe(`"${sha256(copied)}"`);
      const listing = await request(service.url).get('/media').query({ directory: 'hand' });
      expect(listing.status).toBe(200);
      expect(listing.body.files[0]).toMatchObject({ filename: 'copied.mp3', sha256: sha256(copied) });
      expect(await zeroByteFiles(service.root)).toEqual([]);
    });
  });

  it('stores again once space is freed', async () => {
    const res = await upload(service.url, 'multipart', { directory: 'full', filename: 'after.mp3', bytes: uniqueMp3('after') });
    expect(res.status).toBe(200);
    expect(await readFile(path.join(service.root, 'full', 'after.mp3'))).toEqual(uniqueMp3('after'));
    expect((await request(service.url).get('/readyz')).status).toBe(200);
  });
});
