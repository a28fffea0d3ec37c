import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { testKey } from './helpers/access.ts';
import { startService, type RunningService } from './helpers/app.ts';
import { uniqueMp3 } from './helpers/media.ts';
import { freePort } from './helpers/process.ts';
import { largeMp3, tusUpload } from './helpers/tus.ts';
import { upload } from './helpers/upload.ts';
import { waitFor } from './helpers/wait.ts';
import { startReceiver, webhookSecret, type Receiver } from './helpers/webhook-receiver.ts';

const running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const one of running.splice(0).reverse()) await one.close();
});

async function serviceWith(
  receiver: { url: string },
  secret: string,
  events: Record<string, unknown> = {},
  auth: Record<string, unknown> = {},
) {
  const service = await startService({
    events: { webhooks: [{ url: receiver.url, secret }], retryDelayMs: 50, timeoutMs: 2000, ...events },
    auth,
  } as never);
  running.push(service);
  return service;
}

async function receiver(
  secret: string,
  ...args: Parameters<typeof startReceiver> extends [unknown, ...infer R] ? R : never
): Promise<Receiver> {
  const started = await startReceiver(secret, ...args);
  running.push(started);
  return started;
}

async function mp3(service: RunningService, directory: string, filename: string, token?: string): Promise<void> {
  const answer = await upload(service.url, 'multipart', { directory, filename, bytes: uniqueMp3(filename), token });
  expect(answer.status).toBe(200);
}

describe('signed webhooks', () => {
  it('sends media.created for multipart, urlencoded and resumable uploads and media.deleted, each verified with standardwebhooks', async () => {
    const secret = webhookSecret();
    const hook = await receiver(secret);
    const writer = testKey('writer', ['read', 'write', 'delete']);
    const service = await serviceWith(hook, secret, {}, { keys: [writer.entry] });
    const bytes = uniqueMp3('multi');
    expect((await upload(service.url, 'multipart', { directory: 'a', filename: 'm.mp3', bytes, token: writer.secret })).status).toBe(200);
    expect((await upload(service.url, 'urlencoded', { directory: 'a', filename: 'u.mp3', bytes, token: writer.secret })).status).toBe(200);
    expect((await tusUpload(service.url, largeMp3(200_000), { directory: 'a', filename: 'r.mp3', token: writer.secret })).status).toBe(200);
    const removed = await request(service.url).delete('/media').query({ directory: 'a', filename: 'm.mp3' }).set(writer.bearer);
    expect(removed.body.deleted).toBe(true);
    const missing = await request(service.url).delete('/media').query({ directory: 'a', filename: 'none.mp3' }).set(writer.bearer);
    expect(missing.body.deleted).toBe(false);

    await waitFor('four deliveries', () => hook.delivered().length === 4);
    expect(hook.unverified).toEqual([]);
    const bodies = hook.received.map((one) => one.body);
    expect(bodies.map((body) => [body.type, body.data.filename, body.data.via])).toEqual([
      ['media.created', 'm.mp3', 'multipart'],
      ['media.created', 'u.mp3', 'urlencoded'],
      ['media.created', 'r.mp3', 'resumable'],
      ['media.deleted', 'm.mp3', undefined],
    ]);
    const listed = await request(service.url).get('/media/a/m.mp3');
    expect(listed.status).toBe(404);
    const u = await request(service.url).get('/media').query({ directory: 'a' });
    const stored = u.body.files.find((file: { filename: string }) => file.filename === 'u.mp3');
    expect(bodies[1]).toMatchObject({
      data: { directory: 'a', filename: 'u.mp3', size: bytes.length, sha256: stored.sha256, contentType: 'audio/mpeg', keyId: 'writer' },
    });
    // The event carries the audio metadata known at publish; the analysis fields come later.
    const { analysis, loudness, ...audio } = stored.metadata;
    expect(analysis === undefined || ['pending', 'done'].includes(analysis)).toBe(true);
    expect(loudness === undefined || analysis === 'done').toBe(true);
    expect(bodies[1]!.data.metadata).toEqual(audio);
    expect(bodies[3]!.data).toEqual({ directory: 'a', filename: 'm.mp3', keyId: 'writer' });
    expect(new Set(hook.delivered()).size).toBe(4);
  });

  it('delivers on the third try, with one id, to a receiver that answers 500 twice', async () => {
    const secret = webhookSecret();
    const hook = await receiver(secret, (n) => ({ status: n < 2 ? 500 : 200 }));
    const service = await serviceWith(hook, secret);
    await mp3(service, 'a', 'x.mp3');
    await waitFor('a delivery', () => hook.delivered().length === 1);
    expect(hook.received.map((one) => one.answered)).toEqual([500, 500, 200]);
    expect(new Set(hook.received.map((one) => one.id)).size).toBe(1);
    // The receiver answers before the service records the answer.
    const metrics = () => request(service.url).get('/metrics');
    await waitFor('the delivered count', async () => /media_webhook_deliveries_total\{result="delivered"\} 1/.test((await metrics()).text));
    expect((await metrics()).text).toMatch(/media_webhook_deliveries_total\{result="retried"\} 2/);
  });

  it('tries again after events.timeoutMs when the receiver hangs', async () => {
    const secret = webhookSecret();
    const hook = await receiver(secret, (n) => (n === 0 ? 'hang' : { status: 204 }));
    const service = await serviceWith(hook, secret, { timeoutMs: 300 });
    await mp3(service, 'a', 'x.mp3');
    await waitFor('a delivery', () => hook.delivered().length === 1);
    expect(hook.received.map((one) => one.answered)).toEqual(['hang', 204]);
    expect(hook.received[1]!.at - hook.received[0]!.at).toBeGreaterThanOrEqual(300);
    expect(hook.received[1]!.id).toBe(hook.received[0]!.id);
  });

  it('delivers every event to a receiver that was down during the uploads once it comes up', async () => {
    const secret = webhookSecret();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/hook`;
    const service = await serviceWith({ url }, secret, { retryDelayMs: 20 });
    for (let i = 0; i < 5; i++) await mp3(service, 'down', `f${i}.mp3`);
    await waitFor('tries against the dead port', async () =>
      /result="retried"\} [1-9]/.test((await request(service.url).get('/metrics')).text),
    );
    const hook = await receiver(secret, undefined, port);
    await waitFor('five deliveries', () => hook.delivered().length === 5, 10_000);
    expect(hook.received.map((one) => one.body.data.filename).sort()).toEqual(['f0.mp3', 'f1.mp3', 'f2.mp3', 'f3.mp3', 'f4.mp3']);
  });

  it('waits at least Retry-After before the next try', async () => {
    const secret = webhookSecret();
    const hook = await receiver(secret, (n) => (n === 0 ? { status: 503, headers: { 'Retry-After': '1' } } : { status: 200 }));
    const service = await serviceWith(hook, secret);
    await mp3(service, 'a', 'x.mp3');
    await waitFor('a delivery', () => hook.delivered().length === 1);
    expect(hook.received[1]!.at - hook.received[0]!.at).toBeGreaterThanOrEqual(1000);
  });

  it('keeps a delivery past events.maxAgeMs as failed: counted, warned once, listed, and sent again by POST /events/<id>/retry', async () => {
    const secret = webhookSecret();
    let up = false;
    const hook = await receiver(secret, () => ({ status: up ? 200 : 500 }));
    const service = await serviceWith(hook, secret, { maxAgeMs: 300 });
    await mp3(service, 'a', 'x.mp3');
    await waitFor(
      'the failed list',
      async () => (await request(service.url).get('/events').query({ status: 'failed' })).body.events.length === 1,
    );
    const failed = (await request(service.url).get('/events').query({ status: 'failed' })).body.events[0];
    expect(failed).toMatchObject({ type: 'media.created', url: hook.url, error: 'answered 500', data: { filename: 'x.mp3' } });
    expect(failed.id).toBe(hook.received[0]!.id);
    const tries = hook.received.length;
    expect((await request(service.url).get('/metrics')).text).toMatch(/media_webhook_deliveries\{state="failed"\} 1/);
    expect((await request(service.url).get('/metrics')).text).toMatch(/media_webhook_deliveries_total\{result="failed"\} 1/);
    expect(service.logs.filter((line) => line.level === 40 && /failed for good/.test(line.msg))).toHaveLength(1);

    up = true;
    const retried = await request(service.url).post(`/events/${failed.id}/retry`);
    expect(retried.body).toMatchObject({ code: 200, id: failed.id, retried: 1 });
    await waitFor('the retried delivery', () => hook.delivered().length === 1);
    expect(hook.received.length).toBe(tries + 1);
    expect(hook.delivered()).toEqual([failed.id]);
    expect((await request(service.url).get('/events').query({ status: 'failed' })).body.events).toEqual([]);
    expect((await request(service.url).post('/events/evt_00000000_1/retry')).status).toBe(404);
  });

  it('keeps at most events.maxPending deliveries, dropping the oldest failed first, with a metric and a warning', async () => {
    const secret = webhookSecret();
    const dead = { url: `http://127.0.0.1:${await freePort()}/hook` };
    const service = await serviceWith(dead, secret, { maxPending: 3, maxAgeMs: 200, retryDelayMs: 20 });
    const metrics = async () => (await request(service.url).get('/metrics')).text;
    for (const name of ['a', 'b', 'c']) await mp3(service, 'full', `${name}.mp3`);
    await waitFor('three failed deliveries', async () => /media_webhook_deliveries\{state="failed"\} 3/.test(await metrics()));
    for (const name of ['d', 'e']) await mp3(service, 'full', `${name}.mp3`);
    await waitFor('two dropped', async () => /media_webhook_deliveries_dropped_total\{state="failed"\} 2/.test(await metrics()));
    const failed = (await request(service.url).get('/events').query({ status: 'failed' })).body.events;
    expect(failed.map((event: { data: { filename: string } }) => event.data.filename)).not.toContain('a.mp3');
    expect(failed.map((event: { data: { filename: string } }) => event.data.filename)).not.toContain('b.mp3');
    expect(await metrics()).toMatch(/media_webhook_deliveries_dropped_total\{state="pending"\} 0/);
    expect(service.logs.some((line) => line.level === 40 && /events.maxPending reached/.test(line.msg))).toBe(true);
  });

  it('sends a webhook only the types and directories it asks for', async () => {
    const secret = webhookSecret();
    const hook = await receiver(secret);
    const service = await serviceWith(hook, secret);
    const other = await receiver(secret);
    const filtered = await startService({
      events: { webhooks: [{ url: other.url, secret, types: ['media.deleted'], directories: ['music'] }], retryDelayMs: 50 },
    } as never);
    running.push(filtered);
    for (const directory of ['music', 'music/live', 'musical']) await mp3(filtered, directory, 'x.mp3');
    for (const directory of ['music', 'music/live', 'musical'])
      await request(filtered.url).delete('/media').query({ directory, filename: 'x.mp3' });
    await mp3(service, 'a', 'marker.mp3');
    await waitFor('the marker', () => hook.delivered().length === 1);
    await waitFor('two deletions', () => other.delivered().length === 2);
    // The events of one log are recorded in order; a deletion after the filtered ones marks the end.
    await mp3(filtered, 'music', 'end.mp3');
    await request(filtered.url).delete('/media').query({ directory: 'music', filename: 'end.mp3' });
    await waitFor('the last deletion', () => other.delivered().length === 3);
    expect(other.received.map((one) => [one.body.type, one.body.data.directory, one.body.data.filename])).toEqual([
      ['media.deleted', 'music', 'x.mp3'],
      ['media.deleted', 'music/live', 'x.mp3'],
      ['media.deleted', 'music', 'end.mp3'],
    ]);
  });
});
