import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startHosts, type Hosts } from './helpers/event-hosts.ts';
import { uniqueMp3 } from './helpers/media.ts';
import { exitOf, type ServiceProcess } from './helpers/process.ts';
import { startRedis, type RedisServer } from './helpers/redis.ts';
import { upload } from './helpers/upload.ts';
import { waitFor } from './helpers/wait.ts';
import { startReceiver, webhookSecret, type Receiver } from './helpers/webhook-receiver.ts';

/** A try may take this long; a delivery whose holder died is taken over after it plus 5 s. */
const TIMEOUT_MS = 2000;

// Two hosts on one bucket and one Redis; the host that recorded an event (and holds its first
// try) is killed while the receiver holds that try: the other host sends it.
describe('a delivery whose host died on the Redis event log', () => {
  const rgw = inject('rgw');
  let redis: RedisServer;
  let receiver: Receiver;
  let two: Hosts;

  beforeAll(async () => {
    redis = await startRedis();
    const secret = webhookSecret();
    // The first request is never answered: its sender dies holding it.
    receiver = await startReceiver(secret, (n) => (n === 0 ? 'hang' : { status: 200 }));
    two = await startHosts(rgw, redis.url, { webhooks: [{ url: receiver.url, secret }], retryDelayMs: 50, timeoutMs: TIMEOUT_MS });
  }, 60_000);
  afterAll(async () => {
    await two?.stop();
    await receiver?.close();
    await redis?.stop();
  });

  it('is taken over and delivered by the other host once the lease runs out, and not again once acknowledged', async () => {
    const [a, b] = two.hosts as [ServiceProcess, ServiceProcess];
    expect((await upload(a.url, 'multipart', { directory: 'k', filename: 'held.mp3', bytes: uniqueMp3('held') })).status).toBe(200);
    // The recording host leases its event's delivery in the recording step and sends it at once.
    await waitFor('the first try', () => receiver.received.length === 1, 10_000);
    const held = receiver.received[0]!;
    expect(held.body).toMatchObject({ type: 'media.created', data: { filename: 'held.mp3' } });
    process.kill(a.child.pid!, 'SIGKILL');
    await exitOf(a.child);

    const killedAt = Date.now();
    await waitFor('the delivery through the other host', () => receiver.delivered().includes(held.id), 20_000);
    expect(Date.now() - held.at).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(Date.now() - killedAt).toBeLessThan(TIMEOUT_MS + 5000 + 5000);

    // A marker through the surviving host: once it is delivered, a second send of the held event would have come first.
    expect((await upload(b.url, 'multipart', { directory: 'k', filename: 'marker.mp3', bytes: uniqueMp3('marker') })).status).toBe(200);
    await waitFor('the marker', () => receiver.delivered().length === 2, 10_000);
    expect(receiver.received.map((one) => [one.id, one.answered])).toEqual([
      [held.id, 'hang'],
      [held.id, 200],
      [receiver.received[2]!.id, 200],
    ]);
    expect(receiver.received[2]!.body.data.filename).toBe('marker.mp3');
    expect(receiver.unverified).toEqual([]);
  });
});
