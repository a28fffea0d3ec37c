import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { fixture, sha256 } from './helpers/media.ts';
import { upload } from './helpers/upload.ts';

const run = promisify(execFile);

const binary = (req: request.Test) =>
  req.buffer(true).parse((res, callback) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => callback(null, Buffer.concat(chunks)));
  });

describe('GET|HEAD /media/{directory...}/{filename}', () => {
  let service: RunningService;
  const mp3 = fixture('tone-id3.mp3');
  const wav = fixture('tone.wav');
  beforeAll(async () => {
    service = await startService();
    await upload(service.url, 'multipart', { directory: 'albums/2024', filename: 'id3.mp3', bytes: mp3 });
    await upload(service.url, 'urlencoded', { directory: '歌', filename: '歌曲.wav', bytes: wav });
  });
  afterAll(() => service.close());

  it('streams the whole file byte for byte with its validators', async () => {
    const res = await binary(request(service.url).get('/media/albums/2024/id3.mp3'));
    expect(res.status).toBe(200);
    expect(sha256(res.body)).toBe(sha256(mp3));
    expect(res.headers).toMatchObject({
      'content-type': 'audio/mpeg',
      'content-length': String(mp3.length),
      etag: `"${sha256(mp3)}"`,
      'accept-ranges': 'bytes',
    });
    expect(Date.parse(res.headers['last-modified']!)).not.toBeNaN();
  });

  it('serves UTF-8 names given percent-encoded, as audio/wav', async () => {
    const res = await binary(request(service.url).get(`/media/${encodeURIComponent('歌')}/${encodeURIComponent('歌曲.wav')}`));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('audio/wav');
    expect(res.body).toEqual(wav);
  });

  it.each([
    ['bytes=0-99', 0, 99],
    ['bytes=1000-1999', 1000, 1999],
    ['bytes=-100', mp3.length - 100, mp3.length - 1],
    ['bytes=481000-', 481000, mp3.length - 1],
    ['bytes=481000-999999999', 481000, mp3.length - 1],
  ])('answers %s with 206 and exactly those bytes', async (range, start, end) => {
    const res = await binary(request(service.url).get('/media/albums/2024/id3.mp3').set('Range', range));
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/${mp3.length}`);
    expect(res.headers['content-length']).toBe(String(end - start + 1));
    expect(res.body).toEqual(mp3.subarray(start, end + 1));
  });

  it('answers a range past the end with 416, Content-Range */size and JSON', async () => {
    const res = await request(service.url).get('/media/albums/2024/id3.mp3').set('Range', `bytes=${mp3.length}-`);
    expect(res.status).toBe(416);
    expect(res.headers['content-range']).toBe(`bytes */${mp3.length}`);
    expect(res.body).toMatchObject({ code: 416 });
  });

  it('answers a malformed or multi-part Range with the whole file', async () => {
    for (const range of ['bytes=abc', 'bytes=0-1,5-6', 'lines=1-2']) {
      const res = await binary(request(service.url).get('/media/albums/2024/id3.mp3').set('Range', range));
      expect(res.status).toBe(200);
      expect(res.body.length).toBe(mp3.length);
    }
  });

  it('answers If-None-Match and If-Modified-Since with 304 and no body', async () => {
    const first = await request(service.url).head('/media/albums/2024/id3.mp3');
    const byEtag = await request(service.url).get('/media/albums/2024/id3.mp3').set('If-None-Match', first.headers.etag!);
    expect(byEtag.status).toBe(304);
    expect(byEtag.text ?? '').toBe('');
    const byDate = await request(service.url).get('/media/albums/2024/id3.mp3').set('If-Modified-Since', first.headers['last-modified']!);
    expect(byDate.status).toBe(304);
    const stale = await request(service.url).get('/media/albums/2024/id3.mp3').set('If-None-Match', '"other"');
    expect(stale.status).toBe(200);
  });

  it('applies a Range only when If-Range still matches', async () => {
    const { etag } = (await request(service.url).head('/media/albums/2024/id3.mp3')).headers;
    const matching = await request(service.url).get('/media/albums/2024/id3.mp3').set('Range', 'bytes=0-9').set('If-Range', etag!);
    expect(matching.status).toBe(206);
    const changed = await binary(request(service.url).get('/media/albums/2024/id3.mp3').set('Range', 'bytes=0-9').set('If-Range', '"old"'));
    expect(changed.status).toBe(200);
    expect(changed.body.length).toBe(mp3.length);
  });

  it('answers HEAD with the same headers and no body', async () => {
    const res = await request(service.url).head('/media/albums/2024/id3.mp3');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(mp3.length));
    expect(res.headers.etag).toBe(`"${sha256(mp3)}"`);
    const ranged = await request(service.url).head('/media/albums/2024/id3.mp3').set('Range', 'bytes=-100');
    expect(ranged.status).toBe(206);
    expect(ranged.headers['content-length']).toBe('100');
  });

  it('answers ?download=1 as an attachment named in UTF-8: filename* (RFC 6266) and the raw octets for curl -OJ', async () => {
    const res = await binary(request(service.url).get(`/media/${encodeURIComponent('歌')}/${encodeURIComponent('歌曲.wav')}?download=1`));
    expect(res.status).toBe(200);
    // Node hands header bytes over as latin1: turn them back into the octets sent.
    const header = Buffer.from(res.headers['content-disposition']!, 'latin1').toString('utf8');
    expect(header).toBe(`attachment; filename="歌曲.wav"; filename*=UTF-8''%E6%AD%8C%E6%9B%B2.wav`);
    expect(res.body).toEqual(wav);
    const plain = await request(service.url).head('/media/albums/2024/id3.mp3?download=1');
    expect(plain.headers['content-disposition']).toBe('attachment; filename="id3.mp3"');
  });

  it('lets curl -OJ save a download under its UTF-8 name', async () => {
    const name = '我的 歌曲.mp3';
    await upload(service.url, 'multipart', { directory: 'curl', filename: name, bytes: mp3 });
    const into = await mkdtemp(path.join(os.tmpdir(), 'curl-oj-'));
    try {
      await run('curl', ['-sfOJ', `${service.url}/media/curl/${encodeURIComponent(name)}?download=1`], { cwd: into });
      expect(await readdir(into)).toEqual([name]);
      expect(await readFile(path.join(into, name))).toEqual(mp3);
    } finally {
      await rm(into, { recursive: true, force: true });
    }
  });

  it('serves inline, without Content-Disposition, unless asked to download', async () => {
    for (const query of ['', '?download=0']) {
      const res = await request(service.url).head(`/media/albums/2024/id3.mp3${query}`);
      expect(res.status).toBe(200);
      expect(res.headers['content-disposition']).toBeUndefined();
    }
    const res = await request(service.url).get('/media/albums/2024/id3.mp3?download=yes');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 400, reason: 'invalid argument: download must be 1 or 0' });
  });

  it.each([
    ['/media/albums', 'albums'],
    ['/media/albums/2024', 'albums/2024'],
    [`/media/${encodeURIComponent('歌')}`, '歌'],
  ])('answers %s, a directory, with 404 saying how to list it', async (url, directory) => {
    const res = await request(service.url).get(url);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 404, reason: `${directory} is a directory; list it with GET /media?directory=${directory}` });
  });

  it('answers a missing file with JSON 404', async () => {
    const res = await request(service.url).get('/media/albums/2024/none.mp3');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 404, reason: 'not found: albums/2024/none.mp3' });
  });

  it.each([
    '/media/..%2F..%2Fetc/passwd.mp3',
    '/media/%2e%2e/%2e%2e/etc/passwd',
    '/media/albums/%2E./id3.mp3',
    '/media/.incoming/x.part',
    '/media/.meta/albums/2024/id3.mp3',
    '/media/albums/2024/..%5Cid3.mp3',
    '/media/albums/%00/id3.mp3',
  ])('refuses %s with 400', async (url) => {
    const res = await request(service.url).get(url);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(400);
  });
});

describe('auth.protectReads', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ auth: { tokens: ['reader'], protectReads: true } });
    await upload(service.url, 'multipart', { directory: 'p', filename: 'a.mp3', bytes: fixture('tone.mp3'), token: 'reader' });
  });
  afterAll(() => service.close());

  it('requires the token for downloads and listings', async () => {
    expect((await request(service.url).get('/media/p/a.mp3')).status).toBe(401);
    expect((await request(service.url).get('/media?directory=p')).status).toBe(401);
    const res = await request(service.url).get('/media/p/a.mp3').set('Authorization', 'Bearer reader');
    expect(res.status).toBe(200);
  });
});
