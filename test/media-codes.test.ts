import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { fixture, sha256 } from './helpers/media.ts';
import { downloaded, storedFiles } from './helpers/stored.ts';
import { BODY_KINDS, upload } from './helpers/upload.ts';

describe.each(BODY_KINDS)('POST /media code table, %s body', (kind) => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService();
  });
  afterAll(() => service.close());

  it('answers 200 and stores the exact bytes with size, sha256 and contentType', async () => {
    const bytes = fixture('tone-id3.mp3');
    const res = await upload(service.url, kind, { directory: 'songs', filename: 'id3.mp3', bytes });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      code: 200,
      reason: 'OK',
      files: [
        {
          directory: 'songs',
          filename: 'id3.mp3',
          size: bytes.length,
          sha256: sha256(bytes),
          contentType: 'audio/mpeg',
          metadata: expect.objectContaining({ title: 'Test Tone', sampleRate: 44100, channels: 2, bitrate: 128000 }),
          code: 200,
          reason: 'OK',
        },
      ],
    });
    expect(sha256((await downloaded(service.url, 'songs', 'id3.mp3'))!)).toBe(sha256(bytes));
  });

  it('stores a WAV file as audio/wav', async () => {
    const bytes = fixture('tone.wav');
    const res = await upload(service.url, kind, { directory: 'wav', filename: 'tone.WAV', bytes });
    expect(res.status).toBe(200);
    expect(res.body.files[0]).toMatchObject({ filename: 'tone.WAV', contentType: 'audio/wav', size: bytes.length });
  });

  it('answers 501 (HTTP 409) and keeps the first file when the name exists', async () => {
    const first = fixture('tone.mp3');
    expect((await upload(service.url, kind, { directory: 'dup', filename: 'a.mp3', bytes: first })).status).toBe(200);
    const res = await upload(service.url, kind, { directory: 'dup', filename: 'a.mp3', bytes: fixture('tone-id3.mp3') });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 501, reason: 'file already exists' });
    expect(sha256((await downloaded(service.url, 'dup', 'a.mp3'))!)).toBe(sha256(first));
  });

  it('answers 502 for an empty file and stores nothing', async () => {
    const res = await upload(service.url, kind, { directory: 'empty', filename: 'zero.mp3', bytes: Buffer.alloc(0) });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 502 });
    expect(await storedFiles(service.store)).not.toContain('empty/zero.mp3');
  });

  it('answers 503 when the directory is missing', async () => {
    // multipart falls back to the part's field name, so only an empty directory field leaves none.
    const directory = kind === 'multipart' ? '' : undefined;
    const res = await upload(service.url, kind, { directory, filename: 'm.mp3', bytes: fixture('tone.mp3') });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 503, reason: 'required argument missing: directory' });
  });

  it('answers 503 for a missing filename (urlencoded) or 502 for a part with no file name (multipart)', async () => {
    const res = await upload(service.url, kind, { directory: 'm', filename: '', bytes: fixture('tone.mp3') });
    expect(res.status).toBe(400);
    // A multipart part with an empty filename is what browsers send for an empty file input.
    const expected =
      kind === 'urlencoded'
        ? { code: 503, reason: 'required argument missing: filename' }
        : { code: 502, reason: 'nothing to store: the request has no file part' };
    expect(res.body).toMatchObject(expected);
  });

  it('answers 504 (HTTP 415) for an extension not on the allow-list', async () => {
    const res = await upload(service.url, kind, { directory: 'x', filename: 'notes.txt', bytes: Buffer.from('hello') });
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ code: 504 });
    expect(res.body.reason).toMatch(/\.txt/);
  });

  it.each([
    ['text under .mp3', 'fake.mp3', Buffer.from('this is not audio at all, just text bytes')],
    ['a PNG under .wav', 'fake.wav', Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex')],
    ['a WAV under .mp3', 'wav-inside.mp3', fixture('tone.wav')],
    ['an MP3 under .wav', 'mp3-inside.wav', fixture('tone.mp3')],
  ])('answers 504 for %s and stores nothing', async (_label, filename, bytes) => {
    const res = await upload(service.url, kind, { directory: 'fake', filename, bytes });
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ code: 504 });
    expect(res.body.reason).toMatch(/^format not supported: /);
    expect((await storedFiles(service.store)).filter((f) => f.startsWith('fake/'))).toEqual([]);
    expect(await service.store.staged()).toEqual([]);
  });
});

describe('POST /media body kinds', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService();
  });
  afterAll(() => service.close());

  it('answers 502 (HTTP 415) naming the accepted types for any other Content-Type', async () => {
    const res = await request(service.url).post('/media').set('Content-Type', 'application/json').send('{"a":1}');
    expect(res.status).toBe(415);
    expect(res.body.code).toBe(502);
    expect(res.body.reason).toContain('multipart/form-data or application/x-www-form-urlencoded');
  });

  it('answers 502 (HTTP 415) for a POST with no body', async () => {
    const res = await request(service.url).post('/media');
    expect(res.status).toBe(415);
    expect(res.body.code).toBe(502);
  });

  it('answers 503 when the urlencoded body field is missing', async () => {
    const res = await request(service.url).post('/media').type('form').send('directory=a&filename=b.mp3');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 503, reason: 'required argument missing: body' });
  });

  it('answers 502 for a multipart request with no file part', async () => {
    const res = await request(service.url).post('/media').field('directory', 'songs');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 502, reason: 'nothing to store: the request has no file part' });
  });
});
