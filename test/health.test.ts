import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';

describe('health and unknown routes', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService();
  });
  afterAll(() => service.close());

  it('answers 200 on /healthz', async () => {
    const res = await request(service.url).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('answers an unknown route with JSON code 404', async () => {
    const res = await request(service.url).get('/nowhere');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 404 });
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});
