import http from 'node:http';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { fixture, sha256, uniqueMp3 } from './helpers/media.ts';
import { pendingMultipartUploads } from './helpers/s3-suite.ts';
import { downloaded, storedFiles } from './helpers/stored.ts';
import { upload } from './helpers/upload.ts';
import { waitFor } from './helpers/wait.ts';

const BOUNDARY = 'concurrency-boundary';

/** Starts a multipart upload by hand so the test controls when (and whether) the body ends. */
function startMultipart(url: string, filename: string, declaredLength: number) {
  const head = Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="directory"\r\n\r\nstream\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="f"; filename="${filename}"\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
  const req = http.request(`${url}/media`, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': head.length + declaredLength + tail.length },
  });
  const response = new Promise<{ status: number; body: { code: number; files?: { size: number }[] } }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res
        .setEncoding('utf8')
        .on('data', (chunk) => (text += chunk))
        .on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.on('error', reject);
  });
  req.write(head);
  const write = (chunk: Buffer) => new Promise<void>((resolve) => (req.write(chunk) ? resolve() : req.once('drain', resolve)));
  return { req, response, write, end: () => req.end(tail) };
}

describe('concurrent and interrupted uploads', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ media: { maxFileSize: 1024 * 1024 * 1024 } });
  });
  afterAll(() => service.close());

  it('lets exactly one of 8 concurrent uploads of one path win; the file is wholly that upload', async () => {
    const bodies = Array.from({ length: 8 }, (_, i) => uniqueMp3(`racer ${i}`));
    const answers = await Promise.all(
      bodies.map((bytes, i) => upload(service.url, i % 2 ? 'urlencoded' : 'multipart', { directory: 'race', filename: 'same.mp3', bytes })),
    );
    const codes = answers.map((res) => res.body.code).sort();
    expect(codes).toEqual([200, 501, 501, 501, 501, 501, 501, 501]);
    const winner = answers.findIndex((res) => res.body.code === 200);
    const stored = await downloaded(service.url, 'race', 'same.mp3');
    expect(sha256(stored!)).toBe(sha256(bodies[winner]!));
    expect(await service.store.staged()).toEqual([]);
  });

  it('leaves no file and no temp file when the client aborts mid-upload', async () => {
    const upload = startMultipart(service.url, 'aborted.mp3', 8 * 1024 * 1024);
    upload.response.catch(() => undefined);
    await upload.write(fixture('tone.mp3'));
    await upload.write(Buffer.alloc(1024 * 1024));
    await waitFor('a staged upload', async () => (await service.store.staged()).length > 0);
    upload.req.destroy();
    await waitFor('the staged upload to go', async () => (await service.store.staged()).length === 0);
    expect((await storedFiles(service.store)).filter((f) => f.includes('aborted'))).toEqual([]);
    expect((await request(service.url).get('/healthz')).status).toBe(200);
  });

  it('answers /healthz promptly while a large upload is in flight, then stores it whole', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x55);
    const chunks = 96;
    const header = fixture('tone.mp3');
    const upload = startMultipart(service.url, 'large.mp3', header.length + chunks * chunk.length);
    await upload.write(header);
    for (let i = 0; i < chunks / 2; i++) await upload.write(chunk);

    const started = performance.now();
    const health = await request(service.url).get('/healthz');
    const elapsed = performance.now() - started;
    expect(health.status).toBe(200);
    // Loose bound: a blocked event loop would hold this answer until the upload ended.
    expect(elapsed).toBeLessThan(1000);
    // Staged on the disk; on S3, a part this large streams into a multipart upload instead (issue 25).
    expect((await service.store.staged()).length + (await pendingMultipartUploads(service.config))).toBeGreaterThan(0);

    for (let i = chunks / 2; i < chunks; i++) await upload.write(chunk);
    upload.end();
    const { status, body } = await upload.response;
    expect(status).toBe(200);
    expect(body.files?.[0]?.size).toBe(header.length + chunks * chunk.length);
  });
});
