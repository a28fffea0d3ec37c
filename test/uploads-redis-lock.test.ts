import { rm } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.ts';
import { startService as startRuntimeService, type Service } from '../src/runtime/service.ts';
import { RedisLocker } from '../src/lockers/redis-locker.ts';
import { tempRoot, testConfig, testLogger } from './helpers/app.ts';
import { startRedis, type RedisServer } from './helpers/redis.ts';
import { largeMp3, TUS_HEADERS, uploadMetadata } from './helpers/tus.ts';

let redis: RedisServer;
const clients: Redis[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.quit()));
  await redis?.stop();
});

function client(): Redis {
  const made = new Redis(redis.url);
  clients.push(made);
  return made;
}

describe('the Redis lock of resumable uploads (redis.url)', () => {
  it('lets one holder at a time have an upload, across clients, and frees it on unlock', async () => {
    const first = new RedisLocker(client(), 300).newLock('0123456789abcdef0123456789abcdef');
    const second = new RedisLocker(client(), 300).newLock('0123456789abcdef0123456789abcdef');
    const signal = new AbortController().signal;
    await first.lock(signal, () => undefined);
    const refused = await second.lock(signal, () => undefined).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe(423);
    await first.unlock();
    await expect(second.lock(signal, () => undefined)).resolves.toBeUndefined();
    await second.unlock();
  });

  it('serialises the PATCHes of one upload sent to two services sharing the root and the Redis', async () => {
    const root = await tempRoot();
    const config = testConfig(root, { server: { port: 0, host: '127.0.0.1', shutdownGraceMs: 0 }, redis: { url: redis.url } });
    const services: Service[] = [
      await startRuntimeService(config, { logger: testLogger }),
      await startRuntimeService(config, { logger: testLogger }),
    ];
    try {
      const before = await setCalls();
      const bytes = largeMp3(600_000);
      const created = await fetch(`${services[0]!.url}/uploads`, {
        method: 'POST',
        headers: { ...TUS_HEADERS, 'Upload-Length': String(bytes.length), 'Upload-Metadata': uploadMetadata('hosts', 'two.mp3') },
      });
      const location = created.headers.get('location')!;
      const chunk = new Uint8Array(bytes.subarray(0, 500_000));
      const send = (service: Service) =>
        fetch(`${service.url}${location}`, {
          method: 'PATCH',
          headers: { ...TUS_HEADERS, 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': '0' },
          body: chunk,
        });
      const statuses = (await Promise.all(services.map(send))).map((answer) => answer.status).sort();
      expect(statuses[0]).toBe(204);
      expect([409, 423]).toContain(statuses[1]);
      const head = await fetch(`${services[1]!.url}${location}`, { method: 'HEAD', headers: TUS_HEADERS });
      expect(head.headers.get('upload-offset')).toBe(String(chunk.length));
      // The locks were Redis's: SET NX for each request of the upload.
      expect((await setCalls()) - before).toBeGreaterThanOrEqual(4);
    } finally {
      await Promise.all(services.map((service) => service.stop()));
      await rm(root, { recursive: true, force: true });
    }
  });
});

async function setCalls(): Promise<number> {
  const stats = await client().info('commandstats');
  return Number(/cmdstat_set:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}
