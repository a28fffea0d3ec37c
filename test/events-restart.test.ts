import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { tempRoot } from './helpers/app.ts';
import { uniqueMp3 } from './helpers/media.ts';
import { exitOf, startServiceProcess, type ServiceProcess } from './helpers/process.ts';
import { startRedis } from './helpers/redis.ts';
import { freshBucket } from './helpers/s3.ts';
import { s3Env } from './helpers/s3-service.ts';
import { upload } from './helpers/upload.ts';
import { waitFor } from './helpers/wait.ts';
import { startReceiver, webhookSecret } from './helpers/webhook-receiver.ts';

/** The bound: after a restart, pending deliveries resume within this. */
const RESUME_MS = 5000;

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/**
 * A service process whose try the receiver holds is killed (SIGKILL, by PID) and started again on
 * the same root: the delivery its dead process leased (for events.timeoutMs + 5 s, here 15 s) is
 * sent again within 5 s of the restart, and acknowledged once.
 */
async function resumesAfterRestart(env: Record<string, string>, config: Record<string, unknown>): Promise<void> {
  const secret = webhookSecret();
  const receiver = await startReceiver(secret, (n) => (n === 0 ? 'hang' : { status: 200 }));
  cleanup.push(() => receiver.close());
  const root = await tempRoot('events-restart-');
  cleanup.push(() => rm(root, { recursive: true, force: true }));
  const configFile = path.join(root, 'service.json');
  await writeFile(configFile, JSON.stringify({ ...config, events: { webhooks: [{ url: receiver.url, secret }] } }));
  const start = async () => {
    const service = await startServiceProcess({ ...env, UPLOAD_DIR: path.join(root, 'media'), CONFIG_FILE: configFile });
    cleanup.push(() => service.stop());
    return service;
  };

  const first: ServiceProcess = await start();
  expect((await upload(first.url, 'multipart', { directory: 'r', filename: 'held.mp3', bytes: uniqueMp3('held') })).status).toBe(200);
  await waitFor('the held try', () => receiver.received.length === 1, 10_000);
  process.kill(first.child.pid!, 'SIGKILL');
  await exitOf(first.child);

  const second = await start();
  const restartedAt = Date.now();
  await waitFor('the delivery after the restart', () => receiver.delivered().length === 1, RESUME_MS + 5000);
  expect(Date.now() - restartedAt).toBeLessThanOrEqual(RESUME_MS);
  const [held, again] = receiver.received;
  expect(again!.id).toBe(held!.id);

  // A marker after it: once the marker is delivered, a second send of the held event would have come first.
  expect((await upload(second.url, 'multipart', { directory: 'r', filename: 'marker.mp3', bytes: uniqueMp3('marker') })).status).toBe(200);
  await waitFor('the marker', () => receiver.delivered().length === 2, 10_000);
  expect(receiver.received.map((one) => one.answered)).toEqual(['hang', 200, 200]);
  expect(receiver.unverified).toEqual([]);
}

// Two service starts each: a minute per test on a loaded 2-core machine (a start takes up to ~9 s there).
describe('pending deliveries after a restart', () => {
  it('resume within 5 s on the local log, though the dead process leased them for 15 s', async () => {
    await resumesAfterRestart({}, {});
  }, 60_000);

  it('resume within 5 s on the Redis log (backend s3), though the dead process leased them for 15 s', async () => {
    const rgw = inject('rgw');
    const redis = await startRedis();
    cleanup.push(() => redis.stop());
    await resumesAfterRestart(s3Env(rgw, await freshBucket(rgw)), { redis: { url: redis.url } });
  }, 60_000);
});
