import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.ts';
import { startService as startRuntimeService, type Service } from '../src/runtime/service.ts';
import { FileLocker } from '../src/lockers/file-locker.ts';
import { RedisLocker } from '../src/lockers/redis-locker.ts';
import { tempRoot, testConfig, testLogger } from './helpers/app.ts';
import { exitOf, startHelperProcess } from './helpers/process.ts';
import { startRedis, type RedisServer } from './helpers/redis.ts';
import { createUpload, headUpload, largeMp3, patchUpload } from './helpers/tus.ts';

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function startedRedis(): Promise<RedisServer> {
  const redis = await startRedis();
  cleanups.push(() => redis.stop());
  return redis;
}

async function serviceOn(redis: RedisServer, lockTimeoutMs: number): Promise<Service> {
  const root = await tempRoot();
  const config = testConfig(root, {
    server: { port: 0, host: '127.0.0.1', shutdownGraceMs: 0 },
    redis: { url: redis.url, commandTimeoutMs: 300 },
    uploads: { lockTimeoutMs },
  });
  const service = await startRuntimeService(config, { logger: testLogger });
  cleanups.push(
    () => rm(root, { recursive: true, force: true }),
    () => service.stop(),
  );
  return service;
}

/** A process that took the lock, then was killed with SIGKILL (it never released it). */
async function killedHolder(args: string[]): Promise<void> {
  const holder = await startHelperProcess('lock-holder.ts', args, 'locked');
  holder.kill('SIGKILL');
  await exitOf(holder);
}

const ID = () => randomBytes(16).toString('hex');

describe('a lock whose holder died', () => {
  it('is free at once on this host with lock files (no wait for staleness)', async () => {
    const root = await tempRoot();
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const lockPath = path.join(root, 'upload.lock');
    await killedHolder(['file', lockPath]);
    const started = Date.now();
    const lock = new FileLocker(() => lockPath, 400).newLock('x');
    await lock.lock(new AbortController().signal, () => undefined);
    expect(Date.now() - started).toBeLessThan(400);
    await lock.unlock();
  });

  it('is still refused while its holder lives (423 after the timeout)', async () => {
    const root = await tempRoot();
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const lockPath = path.join(root, 'upload.lock');
    const holder = await startHelperProcess('lock-holder.ts', ['file', lockPath], 'locked');
    try {
      const refused = await new FileLocker(() => lockPath, 200)
        .newLock('x')
        .lock(new AbortController().signal, () => undefined)
        .catch((error: unknown) => error);
      expect((refused as AppError).code).toBe(423);
    } finally {
      holder.kill('SIGKILL');
      await exitOf(holder);
    }
  });

  it('is free at once on this host with Redis (no wait for its TTL)', async () => {
    const redis = await startedRedis();
    const id = ID();
    await killedHolder(['redis', redis.url, id]);
    const client = new Redis(redis.url);
    cleanups.push(() => client.quit());
    const started = Date.now();
    const lock = new RedisLocker(client, 400).newLock(id);
    await lock.lock(new AbortController().signal, () => undefined);
    expect(Date.now() - started).toBeLessThan(400);
    await lock.unlock();
  });
});

describe('resumable uploads when the Redis of the locks fails', () => {
  it('answers 423 after uploads.lockTimeoutMs while Redis is frozen (SIGSTOP), and /readyz says so', async () => {
    const redis = await startedRedis();
    const service = await serviceOn(redis, 800);
    const bytes = largeMp3(100_000);
    const created = await createUpload(service.url, 'frozen', 'a.mp3', bytes.length);
    const location = created.headers.get('location')!;
    process.kill(redis.pid, 'SIGSTOP');
    try {
      const started = Date.now();
      const patched = await patchUpload(service.url, location, 0, bytes.subarray(0, 1000));
      const waited = Date.now() - started;
      expect(patched.status).toBe(423);
      expect(await patched.json()).toMatchObject({ code: 423 });
      expect(waited).toBeGreaterThanOrEqual(800);
      expect(waited).toBeLessThan(2500);
      const head = await headUpload(service.url, location);
      expect(head.status).toBe(423);
      const ready = await fetch(`${service.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(JSON.stringify(await ready.json())).toContain('uploads redis not reachable');
    } finally {
      process.kill(redis.pid, 'SIGCONT');
    }
    // Thawed: the upload goes on from where it was.
    const patched = await patchUpload(service.url, location, 0, bytes.subarray(0, 1000));
    expect(patched.status).toBe(204);
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
  });

  it('answers 503 code 506 while Redis is down, and /readyz says so', async () => {
    const redis = await startedRedis();
    const service = await serviceOn(redis, 5000);
    const bytes = largeMp3(100_000);
    const created = await createUpload(service.url, 'down', 'a.mp3', bytes.length);
    const location = created.headers.get('location')!;
    await redis.stop();
    const patched = await patchUpload(service.url, location, 0, bytes.subarray(0, 1000));
    expect(patched.status).toBe(503);
    expect(await patched.json()).toMatchObject({ code: 506, reason: expect.stringContaining('upload locks unavailable') });
    const head = await headUpload(service.url, location);
    expect(head.status).toBe(503);
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.stringify(await ready.json())).toContain('uploads redis not reachable');
  });
});
