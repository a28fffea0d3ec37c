import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { fixture } from './helpers/media.ts';
import { storedFiles } from './helpers/stored.ts';
import { BODY_KINDS, upload } from './helpers/upload.ts';

describe('bearer tokens', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ auth: { tokens: ['first-token', 'second-token'] } });
  });
  afterAll(() => service.close());

  it.each(BODY_KINDS)('answers 401 with WWW-Authenticate and stores nothing without a token (%s)', async (kind) => {
    const res = await upload(service.url, kind, { directory: 'a', filename: 'a.mp3', bytes: fixture('tone.mp3') });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.body).toEqual({ code: 401, reason: 'missing or wrong bearer token' });
    expect(await storedFiles(service.store)).toEqual([]);
  });

  it.each(BODY_KINDS)('answers 401 for a wrong token (%s)', async (kind) => {
    for (const token of ['wrong', 'first-token-but-longer', 'first-toke']) {
      const res = await upload(service.url, kind, { directory: 'a', filename: 'a.mp3', bytes: fixture('tone.mp3'), token });
      expect(res.status).toBe(401);
    }
  });

  it.each(BODY_KINDS)('accepts any configured token (%s)', async (kind) => {
    const res = await upload(service.url, kind, { directory: kind, filename: 'a.mp3', bytes: fixture('tone.mp3'), token: 'second-token' });
    expect(res.status).toBe(200);
  });

  it('protects DELETE too', async () => {
    const anonymous = await request(service.url).delete('/media').query({ directory: 'multipart', filename: 'a.mp3' });
    expect(anonymous.status).toBe(401);
    const authorised = await request(service.url)
      .delete('/media')
      .set('Authorization', 'Bearer first-token')
      .query({ directory: 'multipart', filename: 'a.mp3' });
    expect(authorised.body).toMatchObject({ code: 200, deleted: true });
  });
});
