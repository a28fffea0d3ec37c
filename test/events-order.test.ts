import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startService } from './helpers/app.ts';
import { startHosts, type Hosts } from './helpers/event-hosts.ts';
import { uniqueMp3 } from './helpers/media.ts';
import { startRedis, type RedisServer } from './helpers/redis.ts';
import { upload } from './helpers/upload.ts';
import { waitFor } from './helpers/wait.ts';
import { startReceiver, webhookSecret, type Answer, type Receiver } from './helpers/webhook-receiver.ts';

const FILES = ['o1.mp3', 'o2.mp3', 'o3.mp3'];
/** Each file's media.created is held this long before its 200: a later event of the file sent meanwhile would arrive first. */
const HOLD_MS = 800;
const holdCreated: Answer = (_n, body) => ({ status: 200, holdMs: body.type === 'media.created' ? HOLD_MS : 0 });
const EVENTS = { retryDelayMs: 50, timeoutMs: 5000 };

/** Uploads each file through `store`, deletes it through `remove` at once, and waits for both deliveries of every file. */
async function storeAndDelete(receiver: Receiver, store: string, remove: string): Promise<void> {
  for (const filename of FILES) {
    expect((await upload(store, 'multipart', { directory: 'order', filename, bytes: uniqueMp3(filename) })).status).toBe(200);
    const removed = await request(remove).delete('/media').query({ directory: 'order', filename });
    expect(removed.body.deleted).toBe(true);
  }
  await waitFor('every delivery', () => receiver.delivered().length === FILES.length * 2, 20_000);
}

/** Per file, the type of each request in arrival order, and whether media.deleted arrived before media.created was answered. */
function orderPerFile(receiver: Receiver) {
  return FILES.map((filename) => {
    const requests = receiver.received.filter((one) => one.body.data.filename === filename);
    const created = requests.find((one) => one.body.type === 'media.created');
    const deleted = requests.find((one) => one.body.type === 'media.deleted');
    return {
      filename,
      types: requests.map((one) => one.body.type),
      deletedBeforeCreatedAnswered: deleted !== undefined && (created?.answeredAt === undefined || deleted.at < created.answeredAt),
    };
  });
}

const inOrder = FILES.map((filename) => ({
  filename,
  types: ['media.created', 'media.deleted'],
  deletedBeforeCreatedAnswered: false,
}));

describe('deliveries to one webhook in order per file', () => {
  const running: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const one of running.splice(0).reverse()) await one.close();
  });

  it("on the local log: a file's media.deleted waits until its media.created is answered", async () => {
    const secret = webhookSecret();
    const receiver = await startReceiver(secret, holdCreated);
    running.push(receiver);
    const service = await startService({ events: { webhooks: [{ url: receiver.url, secret }], ...EVENTS } } as never);
    running.push(service);
    await storeAndDelete(receiver, service.url, service.url);
    expect(orderPerFile(receiver)).toEqual(inOrder);
    expect(receiver.unverified).toEqual([]);
  });
});

// Two service processes as two hosts on one bucket and one Redis: the file is stored through one
// and deleted through the other, so each host may pick up one of the file's two events.
describe('deliveries in order per file across two hosts on one Redis', () => {
  const rgw = inject('rgw');
  let redis: RedisServer;
  let receiver: Receiver;
  let two: Hosts;

  beforeAll(async () => {
    redis = await startRedis();
    const secret = webhookSecret();
    receiver = await startReceiver(secret, holdCreated);
    two = await startHosts(rgw, redis.url, { webhooks: [{ url: receiver.url, secret }], ...EVENTS });
  }, 60_000);
  afterAll(async () => {
    await two?.stop();
    await receiver?.close();
    await redis?.stop();
  });

  it("sends a file's media.deleted only after its media.created was answered, and each once", async () => {
    const [a, b] = two.hosts;
    await storeAndDelete(receiver, a!.url, b!.url);
    expect(orderPerFile(receiver)).toEqual(inOrder);
    expect(new Set(receiver.delivered()).size).toBe(FILES.length * 2);
    expect(receiver.unverified).toEqual([]);
  });
});
