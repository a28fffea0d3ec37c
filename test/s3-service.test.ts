import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { fixture, sha256, uniqueMp3 } from './helpers/media.ts';
import { freshBucket } from './helpers/s3.ts';
import { s3Backend } from './helpers/s3-service.ts';
import { upload } from './helpers/upload.ts';

// The media API on the S3 backend, against the run's real Ceph RADOS Gateway: the same answers,
// codes and headers as on the local disk (every answer is also held to openapi.yaml).
describe('media API on an S3 bucket', () => {
  const rgw = inject('rgw');
  let service: RunningService;

  beforeAll(async () => {
    service = await startService(s3Backend(rgw, await freshBucket(rgw), { prefix: 'svc' }));
  });
  afterAll(() => service?.close());

  it('stores an upload with its sha256 and audio metadata, and serves it whole, by range, to HEAD and to If-None-Match', async () => {
    const bytes = fixture('tone-id3.mp3');
    const stored = await upload(service.url, 'multipart', { directory: 'songs', filename: 'tone.mp3', bytes });
    expect(stored.status).toBe(200);
    expect(stored.body.files[0]).toMatchObject({ code: 200, sha256: sha256(bytes), size: bytes.length, contentType: 'audio/mpeg' });
    expect(stored.body.files[0].metadata).toMatchObject({ codec: expect.any(String) });

    const whole = await request(service.url)
      .get('/media/songs/tone.mp3')
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
    expect(whole.status).toBe(200);
    expect(whole.headers.etag).toBe(`"${sha256(bytes)}"`);
    expect(whole.headers['content-type']).toBe('audio/mpeg');
    expect((whole.body as Buffer).equals(bytes)).toBe(true);

    const part = await request(service.url).get('/media/songs/tone.mp3').set('Range', 'bytes=10-19');
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 10-19/${bytes.length}`);
    expect(Buffer.from(part.body as Buffer).equals(bytes.subarray(10, 20))).toBe(true);

    expect((await request(service.url).get('/media/songs/tone.mp3').set('Range', `bytes=${bytes.length}-`)).status).toBe(416);
    expect((await request(service.url).head('/media/songs/tone.mp3')).headers['content-length']).toBe(String(bytes.length));
    expect(
      (
        await request(service.url)
          .get('/media/songs/tone.mp3')
          .set('If-None-Match', `"${sha256(bytes)}"`)
      ).status,
    ).toBe(304);
  });

  it('answers 501 (HTTP 409) for a name that exists and keeps the first file', async () => {
    const first = uniqueMp3('first');
    expect((await upload(service.url, 'urlencoded', { directory: 'dup', filename: 'd.mp3', bytes: first })).status).toBe(200);
    const second = await upload(service.url, 'multipart', { directory: 'dup', filename: 'd.mp3', bytes: uniqueMp3('second') });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ code: 501 });
    expect((await request(service.url).get('/media/dup/d.mp3')).headers.etag).toBe(`"${sha256(first)}"`);
  });

  it('lists a directory with its files’ metadata and subdirectories, and 404 for one that does not exist', async () => {
    for (const name of ['b.mp3', 'a.mp3'])
      await upload(service.url, 'multipart', { directory: 'lib', filename: name, bytes: uniqueMp3(name) });
    await upload(service.url, 'multipart', { directory: 'lib/inner', filename: 'x.mp3', bytes: uniqueMp3('x') });
    const listed = await request(service.url).get('/media').query({ directory: 'lib' });
    expect(listed.status).toBe(200);
    expect(listed.body.directories).toEqual(['inner']);
    expect(listed.body.files.map((f: { filename: string; sha256: string }) => [f.filename, f.sha256])).toEqual([
      ['a.mp3', sha256(uniqueMp3('a.mp3'))],
      ['b.mp3', sha256(uniqueMp3('b.mp3'))],
    ]);
    expect(listed.body.files[0]).toMatchObject({ contentType: 'audio/mpeg', metadata: expect.any(Object) });
    expect((await request(service.url).get('/media').query({ directory: 'nope' })).body).toMatchObject({ code: 404 });
  });

  it('deletes a file, says whether there was one, then answers 404 for it', async () => {
    await upload(service.url, 'multipart', { directory: 'del', filename: 'x.mp3', bytes: uniqueMp3('del') });
    const removed = await request(service.url).delete('/media').query({ directory: 'del', filename: 'x.mp3' });
    expect(removed.body).toMatchObject({ code: 200, deleted: true });
    expect((await request(service.url).get('/media/del/x.mp3')).status).toBe(404);
    expect((await request(service.url).delete('/media').query({ directory: 'del', filename: 'x.mp3' })).body).toMatchObject({
      code: 200,
      deleted: false,
    });
  });

  it('is ready while the bucket answers', async () => {
    expect((await request(service.url).get('/readyz')).body).toEqual({ status: 'ready' });
  });
});
