import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';

describe('GET /auth', () => {
  const services: RunningService[] = [];
  const start = async (auth?: { tokens: string[]; protectReads?: boolean }) => {
    const service = await startService(auth ? { auth } : {});
    services.push(service);
    return service;
  };
  let open: RunningService;
  let writes: RunningService;
  let everything: RunningService;
  beforeAll(async () => {
    open = await start();
    writes = await start({ tokens: ['s3cret'] });
    everything = await start({ tokens: ['s3cret'], protectReads: true });
  });
  afterAll(() => Promise.all(services.map((service) => service.close())));

  it.each([
    ['no tokens', () => open, false, false],
    ['tokens', () => writes, true, false],
    ['tokens and auth.protectReads', () => everything, true, true],
  ] as const)(
    'says which requests need a token on a service with %s, without one',
    async (_what, service, writesNeedToken, readsNeedToken) => {
      const res = await request(service().url).get('/auth');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ code: 200, reason: 'OK', writesNeedToken, readsNeedToken, signedUrls: false });
      expect(res.text).not.toContain('s3cret');
    },
  );
});
