import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { fixture } from './helpers/media.ts';
import { upload } from './helpers/upload.ts';

describe("media.statusMode 'legacy'", () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ media: { statusMode: 'legacy', maxFileSize: 10_000 }, auth: { tokens: ['t'] } });
  });
  afterAll(() => service.close());

  it.each([
    ['exists', 501],
    ['unsupported Content-Type', 502],
    ['missing argument', 503],
    ['bad format', 504],
    ['traversal', 400],
    ['too large', 413],
    ['no token', 401],
  ])('answers HTTP 200 with code in the body for %s', async (label, code) => {
    const send = (bytes: Buffer, filename = 'a.mp3', directory = 'legacy', token: string | null = 't') =>
      upload(service.url, 'multipart', { directory, filename, bytes, token: token ?? undefined });
    let res;
    if (label === 'exists') {
      await send(fixture('tone.mp3'));
      res = await send(fixture('tone.mp3'));
    } else if (label === 'unsupported Content-Type') {
      res = await request(service.url).post('/media').set('Authorization', 'Bearer t').set('Content-Type', 'text/plain').send('x');
    } else if (label === 'missing argument') {
      res = await send(fixture('tone.mp3'), 'b.mp3', '');
    } else if (label === 'bad format') {
      res = await send(Buffer.from('text'), 'c.mp3');
    } else if (label === 'traversal') {
      res = await send(fixture('tone.mp3'), 'd.mp3', '../x');
    } else if (label === 'too large') {
      res = await send(fixture('tone-id3.mp3'), 'e.mp3');
    } else {
      res = await send(fixture('tone.mp3'), 'f.mp3', 'legacy', null);
    }
    expect(res.status).toBe(200);
    expect(res.body.code).toBe(code);
  });

  it('keeps non-media routes semantic', async () => {
    expect((await request(service.url).get('/no-such-route')).status).toBe(404);
  });
});

describe("media.statusMode 'legacy' with a write rate limit", () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ media: { statusMode: 'legacy' }, rateLimit: { writesPerWindow: 1, windowMs: 60_000 } });
  });
  afterAll(() => service.close());

  it('answers the rate limit as HTTP 200 with code 429 in the body', async () => {
    expect((await request(service.url).delete('/media').query({ directory: 'd', filename: 'a.mp3' })).status).toBe(200);
    const limited = await request(service.url).delete('/media').query({ directory: 'd', filename: 'a.mp3' });
    expect(limited.status).toBe(200);
    expect(limited.body).toEqual({ code: 429, reason: 'too many requests: slow down and retry later' });
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
  });
});
