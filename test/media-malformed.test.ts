import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { fixture } from './helpers/media.ts';
import { storedFiles } from './helpers/stored.ts';

const B = 'malformed-boundary';
const part = (disposition: string, body: string | Buffer) =>
  Buffer.concat([Buffer.from(`--${B}\r\n${disposition}\r\n\r\n`), Buffer.from(body), Buffer.from('\r\n')]);
const end = Buffer.from(`--${B}--\r\n`);

describe('malformed multipart bodies', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService();
  });
  afterAll(() => service.close());

  it.each([
    [
      'a truncated body',
      Buffer.concat([
        part('Content-Disposition: form-data; name="directory"', 'a'),
        part('Content-Disposition: form-data; name="f"; filename="t.mp3"', fixture('tone.mp3')).subarray(0, 500),
      ]),
    ],
    ['a part with no name', Buffer.concat([part('Content-Disposition: form-data; filename="t.mp3"', fixture('tone.mp3')), end])],
    [
      'a header line starting with a space',
      Buffer.concat([part(' Content-Disposition: form-data; name="f"; filename="t.mp3"', fixture('tone.mp3')), end]),
    ],
    ['a part with no headers', Buffer.concat([Buffer.from(`--${B}\r\n\r\nbody\r\n`), end])],
    ['garbage instead of parts', Buffer.from('this is not multipart at all')],
  ])('answers a JSON error for %s, keeps nothing and keeps serving', async (_label, body) => {
    const res = await request(service.url).post('/media').set('Content-Type', `multipart/form-data; boundary=${B}`).send(body);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(typeof res.body.reason).toBe('string');
    expect([400, 502]).toContain(res.body.code);
    expect(await storedFiles(service.store)).toEqual([]);
    expect((await request(service.url).get('/healthz')).status).toBe(200);
  });

  it('answers 400 for multipart with no boundary', async () => {
    const res = await request(service.url).post('/media').set('Content-Type', 'multipart/form-data').send('x');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 400 });
    expect(res.body.reason).toMatch(/boundary/i);
  });
});
