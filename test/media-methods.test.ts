import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';

describe('methods a /media route does not support', () => {
  let service: RunningService;
  let legacy: RunningService;
  beforeAll(async () => {
    service = await startService();
    legacy = await startService({ media: { statusMode: 'legacy' } });
  });
  afterAll(async () => {
    await service?.close();
    await legacy?.close();
  });

  it.each([
    ['put', '/media', 'GET, HEAD, POST, DELETE'],
    ['patch', '/media', 'GET, HEAD, POST, DELETE'],
    ['put', '/media/songs/a.mp3', 'GET, HEAD'],
    ['post', '/media/songs/a.mp3', 'GET, HEAD'],
    ['delete', '/media/songs/a.mp3', 'GET, HEAD'],
  ] as const)('answers %s %s with 405 and Allow: %s', async (method, url, allow) => {
    const res = await request(service.url)[method](url);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe(allow);
    expect(res.body).toEqual({ code: 405, reason: `method not allowed: ${method.toUpperCase()} ${url}; allowed: ${allow}` });
  });

  it('answers OPTIONS as before: 200 with Allow', async () => {
    const res = await request(service.url).options('/media');
    expect(res.status).toBe(200);
    expect(res.headers.allow?.split(', ').sort()).toEqual(['DELETE', 'GET', 'HEAD', 'POST']);
  });

  it('answers 405 as HTTP 200 with code 405 in legacy status mode, still with Allow', async () => {
    const res = await request(legacy.url).put('/media');
    expect(res.status).toBe(200);
    expect(res.headers.allow).toBe('GET, HEAD, POST, DELETE');
    expect(res.body.code).toBe(405);
  });
});
