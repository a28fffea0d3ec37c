import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tempRoot } from './helpers/app.ts';
import { openFeed } from './helpers/event-stream.ts';
import { uniqueMp3 } from './helpers/media.ts';
import { startServiceProcess, type ServiceProcess } from './helpers/process.ts';
import { startRedis, type RedisServer } from './helpers/redis.ts';
import { freshBucket } from './helpers/s3.ts';
import { s3Env } from './helpers/s3-service.ts';
import { upload } from './helpers/upload.ts';
import { waitFor } from './helpers/wait.ts';
import { startReceiver, webhookSecret, type Receiver } from './helpers/webhook-receiver.ts';

// Two service processes as two hosts: each its own staging root, one bucket on the run's Ceph
// RADOS Gateway, one Redis holding the event log.
describe('events of two hosts sharing one bucket and one Redis', () => {
  const rgw = inject('rgw');
  let redis: RedisServer;
  let receiver: Receiver;
  const roots: string[] = [];
  const hosts: ServiceProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    const secret = webhookSecret();
    receiver = await startReceiver(secret);
    const bucket = await freshBucket(rgw);
    for (const _ of [1, 2]) {
      const root = await tempRoot('events-host-');
      roots.push(root);
      const configFile = path.join(root, 'host.json');
      const events = { webhooks: [{ url: receiver.url, secret }], retryDelayMs: 50 };
      await writeFile(configFile, JSON.stringify({ redis: { url: redis.url }, events }));
      hosts.push(await startServiceProcess({ ...s3Env(rgw, bucket), UPLOAD_DIR: path.join(root, 'media'), CONFIG_FILE: configFile }));
    }
  }, 60_000);
  afterAll(async () => {
    await Promise.all(hosts.map((host) => host.stop()));
    await receiver?.close();
    await redis?.stop();
    await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
  });

  it('delivers each event once, whichever host recorded it, and both hosts list every event', async () => {
    const [a, b] = hosts as [ServiceProcess, ServiceProcess];
    for (let i = 0; i < 10; i++) {
      const host = i % 2 === 0 ? a : b;
      expect((await upload(host.url, 'multipart', { directory: 'hosts', filename: `f${i}.mp3`, bytes: uniqueMp3(`f${i}`) })).status).toBe(
        200,
      );
    }
    for (const filename of ['f0.mp3', 'f1.mp3']) {
      const removed = await (await fetch(`${b.url}/media?directory=hosts&filename=${filename}`, { method: 'DELETE' })).json();
      expect(removed.deleted).toBe(true);
    }
    await waitFor('twelve deliveries', () => new Set(receiver.delivered()).size === 12, 10_000);
    // Markers through each host: delivered once they are, anything sent twice would have come first.
    expect((await upload(a.url, 'multipart', { directory: 'hosts', filename: 'ma.mp3', bytes: uniqueMp3('ma') })).status).toBe(200);
    expect((await upload(b.url, 'multipart', { directory: 'hosts', filename: 'mb.mp3', bytes: uniqueMp3('mb') })).status).toBe(200);
    await waitFor('the markers', () => new Set(receiver.delivered()).size === 14, 10_000);
    expect(receiver.delivered()).toHaveLength(14);
    expect(receiver.unverified).toEqual([]);

    const listed = async (host: ServiceProcess) =>
      ((await (await fetch(`${host.url}/events`)).json()) as { events: Array<{ id: string }> }).events;
    const ids = (await listed(a)).map((event) => event.id);
    expect(ids).toEqual((await listed(b)).map((event) => event.id));
    expect(new Set(ids)).toEqual(new Set(receiver.delivered()));
  });

  it("follows on one host's live feed the files stored through the other", async () => {
    const [a, b] = hosts as [ServiceProcess, ServiceProcess];
    const feed = await openFeed(b.url);
    expect((await upload(a.url, 'urlencoded', { directory: 'hosts', filename: 'live.mp3', bytes: uniqueMp3('live') })).status).toBe(200);
    const message = await feed.next();
    expect(JSON.parse(message.data)).toMatchObject({ type: 'media.created', data: { filename: 'live.mp3', via: 'urlencoded' } });
    feed.close();
  });
});
