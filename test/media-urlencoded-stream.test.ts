import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, tempRoot, type RunningService } from './helpers/app.ts';
import { fixture } from './helpers/media.ts';
import { startServiceProcess, type ServiceProcess } from './helpers/process.ts';
import { s3SuiteEnv } from './helpers/s3-suite.ts';
import { downloaded, storedFiles } from './helpers/stored.ts';
import { generatedFile, percentEncodeBuffer, postPieces } from './helpers/urlencoded-stream.ts';
import { waitFor } from './helpers/wait.ts';

const MAX_FILE_SIZE = 1024 * 1024;

function* inPieces(whole: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < whole.length; at += size) yield whole.subarray(at, at + size);
}

describe('urlencoded uploads read as they arrive', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ media: { verifyContent: false, maxFileSize: MAX_FILE_SIZE } });
  });
  afterAll(() => service.close());

  it('stores a body whose escapes are cut in two by the pieces it arrives in, byte-exact', async () => {
    const bytes = Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 37 + 11) % 256));
    // 7-byte pieces: the cuts fall before, inside and after the three bytes of each escape.
    const encoded = Buffer.concat([Buffer.from('directory=split&filename=s.mp3&body='), percentEncodeBuffer(bytes)]);
    const res = await postPieces(service.url, inPieces(encoded, 7), 1);
    expect(res.body).toMatchObject({ code: 200 });
    expect(await downloaded(service.url, 'split', 's.mp3')).toEqual(bytes);
  });

  it('stores the body when it comes before directory and filename', async () => {
    const bytes = fixture('tone.mp3');
    const res = await postPieces(service.url, [
      Buffer.from('body='),
      percentEncodeBuffer(bytes),
      Buffer.from('&filename=late.mp3&directory=first'),
    ]);
    expect(res.body).toMatchObject({ code: 200 });
    expect(await downloaded(service.url, 'first', 'late.mp3')).toEqual(bytes);
  });

  it.each([
    ['400 for a name that is not allowed', 'directory=..&filename=a.mp3', 400, 400],
    ['504 for an extension not on the allow-list', 'directory=late&filename=a.txt', 504, 415],
    ['503 for a missing directory', 'filename=a.mp3', 503, 400],
  ])('judges the names after a body sent first: %s, and keeps nothing', async (_label, names, code, status) => {
    const res = await postPieces(service.url, [Buffer.from('body='), percentEncodeBuffer(fixture('tone.mp3')), Buffer.from(`&${names}`)]);
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    expect((await storedFiles(service.store)).filter((f) => f.startsWith('late/'))).toEqual([]);
    expect(await service.store.staged()).toEqual([]);
  });

  it('answers 413 for a body over media.maxFileSize and leaves nothing in the storage root', async () => {
    const before = await storedFiles(service.store);
    const file = generatedFile(4 * MAX_FILE_SIZE, 64 * 1024);
    const res = await postPieces(
      service.url,
      (function* () {
        yield Buffer.from('directory=big&filename=big.mp3&body=');
        yield* file.encoded();
      })(),
    );
    expect(res.status).toBe(413);
    expect(res.body.reason).toMatch(/larger than the limit of \d+ bytes/);
    expect(await storedFiles(service.store)).toEqual(before);
  });

  it('answers 413 for a directory field far over the field limit, without holding it whole', async () => {
    const res = await postPieces(
      service.url,
      (function* () {
        yield Buffer.from('filename=a.mp3&body=abc&directory=');
        for (let i = 0; i < 16; i++) yield Buffer.alloc(64 * 1024, 0x61);
      })(),
    );
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ code: 413 });
    expect(res.body.reason).toMatch(/directory/);
  });

  it('refuses a second body field (400) and removes the first one staged', async () => {
    const before = await storedFiles(service.store);
    const res = await postPieces(service.url, [
      Buffer.from('directory=twice&filename=t.mp3&body='),
      percentEncodeBuffer(Buffer.alloc(512 * 1024, 1)),
      Buffer.from('&body=x'),
    ]);
    expect(res.status).toBe(400);
    expect(res.body.reason).toMatch(/body given more than once/);
    expect(await storedFiles(service.store)).toEqual(before);
  });

  it('leaves nothing staged when the client goes away in the middle of the body', async () => {
    const before = await storedFiles(service.store);
    const req = http.request(`${service.url}/media`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    req.on('error', () => {});
    req.write('directory=gone&filename=g.mp3&body=');
    // Past the in-memory staging threshold, so a temp file exists before the abort.
    for (let i = 0; i < 8; i++) req.write(percentEncodeBuffer(Buffer.alloc(64 * 1024, 2)));
    await waitFor('a staged upload', async () => (await service.store.staged()).length > 0, 10_000);
    req.destroy();
    await waitFor('the staged upload discarded', async () => (await service.store.staged()).length === 0, 10_000);
    expect(await storedFiles(service.store)).toEqual(before);
  });

  it('inflates a gzip-encoded body, as before', async () => {
    const bytes = fixture('tone.mp3');
    const body = gzipSync(Buffer.concat([Buffer.from('directory=zip&filename=z.mp3&body='), percentEncodeBuffer(bytes)]));
    const res = await fetch(`${service.url}/media`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' },
      body,
    });
    expect(await res.json()).toMatchObject({ code: 200 });
    expect(await downloaded(service.url, 'zip', 'z.mp3')).toEqual(bytes);
  });
});

/** VmRSS and VmHWM (peak RSS) of a process, in bytes. */
async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** The digest of a download, hashed as it streams. */
async function sha256OfDownload(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  const hash = createHash('sha256');
  const reader = res.body!.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) hash.update(read.value);
  return hash.digest('hex');
}

describe('urlencoded upload memory', () => {
  let root: string;
  let service: ServiceProcess;
  beforeAll(async () => {
    root = await tempRoot();
    const configFile = path.join(root, 'config.json');
    // One pool thread, started by the warm-up: the figure is the request path's, not thread start-up's.
    await writeFile(configFile, JSON.stringify({ media: { verifyContent: false, fsync: false, poolSize: 1 } }));
    service = await startServiceProcess({ CONFIG_FILE: configFile, UPLOAD_DIR: path.join(root, 'media'), ...(await s3SuiteEnv()) });
  });
  afterAll(async () => {
    await service?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('stores a 64 MiB file byte-exact while the service grows by less than 64 MiB', { timeout: 180_000 }, async () => {
    const pid = service.child.pid!;
    // Warm up (pool thread, code paths, staging to disk), then restart the peak-RSS counter
    // (proc(5): clear_refs 5).
    const warmFile = generatedFile(1024 * 1024);
    const warm = await postPieces(
      service.url,
      (function* () {
        yield Buffer.from('directory=warm&filename=w.mp3&body=');
        yield* warmFile.encoded();
      })(),
    );
    expect(warm.body.code).toBe(200);
    await writeFile(`/proc/${pid}/clear_refs`, '5');
    const before = await memoryOf(pid);

    const file = generatedFile(64 * 1024 * 1024);
    const res = await postPieces(
      service.url,
      (function* () {
        yield Buffer.from('directory=big&filename=big.mp3&body=');
        yield* file.encoded();
      })(),
    );
    const after = await memoryOf(pid);

    expect(res.body).toMatchObject({ code: 200 });
    expect(res.body.files?.[0]).toMatchObject({ size: 64 * 1024 * 1024, sha256: file.sha256() });
    expect(await sha256OfDownload(`${service.url}/media/big/big.mp3`)).toBe(file.sha256());
    expect(after.peak - before.rss).toBeLessThan(64 * 1024 * 1024);
  });
});
