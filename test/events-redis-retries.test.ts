import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { uniqueMp3 } from './helpers/media.ts';
import { startRedis, type RedisServer } from './helpers/redis.ts';
import { freshBucket } from './helpers/s3.ts';
import { s3Backend } from './helpers/s3-service.ts';
import { upload } from './helpers/upload.ts';
import { waitFor } from './helpers/wait.ts';
import { startReceiver, webhookSecret, type Answer, type Receiver } from './helpers/webhook-receiver.ts';

// The retry, timeout and failed paths of the event log on Redis (the S3 deployment): a real
// redis-server per file, a fresh bucket per test on the run's Ceph RADOS Gateway.
describe('webhook retries on the Redis event log', () => {
  const rgw = inject('rgw');
  let redis: RedisServer;
  const running: Array<{ close(): Promise<void> }> = [];
  let databases = 0;

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    for (const one of running.splice(0).reverse()) await one.close();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  async function hostWith(secret: string, answer: Answer, events: Record<string, unknown> = {}): Promise<[RunningService, Receiver]> {
    const receiver = await startReceiver(secret, answer);
    running.push(receiver);
    // Each test its own Redis database: the log of one test does not leak into the next.
    const db = ++databases;
    const service = await startService({
      ...s3Backend(rgw, await freshBucket(rgw)),
      redis: { url: `${redis.url}/${db}` },
      events: { webhooks: [{ url: receiver.url, secret }], retryDelayMs: 50, timeoutMs: 2000, ...events },
    } as never);
    running.push(service);
    return [service, receiver];
  }

  async function mp3(service: RunningService, filename: string): Promise<void> {
    expect((await upload(service.url, 'multipart', { directory: 'r', filename, bytes: uniqueMp3(filename) })).status).toBe(200);
  }

  it('delivers on the third try, with one id, to a receiver that answers 500 twice', async () => {
    const [service, hook] = await hostWith(webhookSecret(), (n) => ({ status: n < 2 ? 500 : 200 }));
    await mp3(service, 'x.mp3');
    await waitFor('a delivery', () => hook.delivered().length === 1, 10_000);
    expect(hook.received.map((one) => one.answered)).toEqual([500, 500, 200]);
    expect(new Set(hook.received.map((one) => one.id)).size).toBe(1);
    expect(hook.unverified).toEqual([]);
    const metrics = () => request(service.url).get('/metrics');
    await waitFor('the delivered count', async () => /media_webhook_deliveries_total\{result="delivered"\} 1/.test((await metrics()).text));
    expect((await metrics()).text).toMatch(/media_webhook_deliveries_total\{result="retried"\} 2/);
  });

  it('tries again after events.timeoutMs when the receiver hangs', async () => {
    const [service, hook] = await hostWith(webhookSecret(), (n) => (n === 0 ? 'hang' : { status: 204 }), { timeoutMs: 300 });
    await mp3(service, 'x.mp3');
    await waitFor('a delivery', () => hook.delivered().length === 1, 10_000);
    expect(hook.received.map((one) => one.answered)).toEqual(['hang', 204]);
    expect(hook.received[1]!.at - hook.received[0]!.at).toBeGreaterThanOrEqual(300);
    expect(hook.received[1]!.id).toBe(hook.received[0]!.id);
  });

  it('keeps a delivery past events.maxAgeMs as failed, lists it, and sends it again on POST /events/<id>/retry', async () => {
    let up = false;
    const [service, hook] = await hostWith(webhookSecret(), () => ({ status: up ? 200 : 500 }), { maxAgeMs: 300 });
    await mp3(service, 'x.mp3');
    const failedList = async () => (await request(service.url).get('/events').query({ status: 'failed' })).body.events;
    await waitFor('the failed list', async () => (await failedList()).length === 1, 10_000);
    const [failed] = await failedList();
    expect(failed).toMatchObject({ type: 'media.created', url: hook.url, error: 'answered 500', data: { filename: 'x.mp3' } });
    expect(failed.id).toBe(hook.received[0]!.id);
    expect((await request(service.url).get('/metrics')).text).toMatch(/media_webhook_deliveries_total\{result="failed"\} 1/);
    expect(service.logs.filter((line) => line.level === 40 && /failed for good/.test(line.msg))).toHaveLength(1);
    const tries = hook.received.length;

    up = true;
    const retried = await request(service.url).post(`/events/${failed.id}/retry`);
    expect(retried.body).toMatchObject({ code: 200, id: failed.id, retried: 1 });
    await waitFor('the retried delivery', () => hook.delivered().length === 1, 10_000);
    expect(hook.received.length).toBe(tries + 1);
    expect(hook.delivered()).toEqual([failed.id]);
    expect(await failedList()).toEqual([]);
  });

  it('keeps at most events.maxPending deliveries: the oldest failed go first, then the oldest pending, counted and logged', async () => {
    // a and b fail (answered 500 past maxAgeMs); the others hang, so they stay pending while they are sent.
    const failing = new Set(['a.mp3', 'b.mp3']);
    const answer: Answer = (_n, body) => (failing.has(String(body.data.filename)) ? { status: 500 } : 'hang');
    const [service] = await hostWith(webhookSecret(), answer, { maxPending: 3, maxAgeMs: 300, timeoutMs: 60_000 });
    const metrics = async () => (await request(service.url).get('/metrics')).text;
    const failedNames = async () =>
      (await request(service.url).get('/events').query({ status: 'failed' })).body.events.map(
        (event: { data: { filename: string } }) => event.data.filename,
      );
    for (const name of ['a', 'b']) await mp3(service, `${name}.mp3`);
    await waitFor('two failed deliveries', async () => (await failedNames()).length === 2, 10_000);

    for (const name of ['c', 'd', 'e']) await mp3(service, `${name}.mp3`);
    await waitFor(
      'the two failed dropped',
      async () => /media_webhook_deliveries_dropped_total\{state="failed"\} 2/.test(await metrics()),
      10_000,
    );
    expect(await failedNames()).toEqual([]);
    expect(await metrics()).toMatch(/media_webhook_deliveries_dropped_total\{state="pending"\} 0/);

    await mp3(service, 'f.mp3');
    await waitFor(
      'one pending dropped',
      async () => /media_webhook_deliveries_dropped_total\{state="pending"\} 1/.test(await metrics()),
      10_000,
    );
    const text = await metrics();
    expect(text).toMatch(/media_webhook_deliveries\{state="pending"\} 3/);
    expect(text).toMatch(/media_webhook_deliveries\{state="failed"\} 0/);
    const warned = service.logs.filter((line) => line.level === 40 && /events.maxPending reached/.test(line.msg));
    expect(warned.at(-1)).toMatchObject({ dropped: { failed: 0, pending: 1 }, maxPending: 3 });
  });
});
