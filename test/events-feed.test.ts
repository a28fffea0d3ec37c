import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testKey } from './helpers/access.ts';
import { startService, type RunningService } from './helpers/app.ts';
import { openFeed } from './helpers/event-stream.ts';
import { uniqueMp3 } from './helpers/media.ts';
import { upload } from './helpers/upload.ts';
import { waitFor } from './helpers/wait.ts';

const admin = testKey('admin', ['read', 'write', 'delete']);
const music = testKey('music', ['read'], ['music']);
const writeOnly = testKey('writer', ['write']);
let service: RunningService;

beforeAll(async () => {
  service = await startService(
    { auth: { keys: [admin.entry, music.entry, writeOnly.entry], protectReads: true } },
    { eventFeed: { keepAliveMs: 100 } },
  );
});
afterAll(() => service.close());

async function store(directory: string, filename: string): Promise<void> {
  const answer = await upload(service.url, 'multipart', { directory, filename, bytes: uniqueMp3(filename), token: admin.secret });
  expect(answer.status).toBe(200);
}

describe('GET /events live feed', () => {
  it('sends the events after Last-Event-ID, none twice, when a reader comes back', async () => {
    const feed = await openFeed(service.url, admin.bearer);
    expect(feed.status).toBe(200);
    await store('feed', 'one.mp3');
    await store('feed', 'two.mp3');
    const first = await feed.next();
    const second = await feed.next();
    expect([first.event, JSON.parse(first.data).data.filename]).toEqual(['media.created', 'one.mp3']);
    expect(JSON.parse(second.data).data.filename).toBe('two.mp3');
    feed.close();

    await store('feed', 'three.mp3');
    await request(service.url).delete('/media').query({ directory: 'feed', filename: 'one.mp3' }).set(admin.bearer);
    const resumed = await openFeed(service.url, { ...admin.bearer, 'Last-Event-ID': second.id! });
    const third = await resumed.next();
    const fourth = await resumed.next();
    expect([third.event, JSON.parse(third.data).data.filename]).toEqual(['media.created', 'three.mp3']);
    expect([fourth.event, JSON.parse(fourth.data)]).toEqual([
      'media.deleted',
      { type: 'media.deleted', timestamp: expect.any(String), data: { directory: 'feed', filename: 'one.mp3', keyId: 'admin' } },
    ]);
    // A marker shows nothing else was queued before it.
    await store('feed', 'marker.mp3');
    expect(JSON.parse((await resumed.next()).data).data.filename).toBe('marker.mp3');
    const ids = [first.id, second.id, third.id, fourth.id];
    expect(new Set(ids).size).toBe(4);
    resumed.close();
  });

  it('shows a key only the directories it may read, and refuses a key without read or no key', async () => {
    const feed = await openFeed(service.url, music.bearer);
    for (const directory of ['musical', 'music/live', 'other', 'music']) await store(directory, 'x.mp3');
    expect(JSON.parse((await feed.next()).data).data.directory).toBe('music/live');
    expect(JSON.parse((await feed.next()).data).data.directory).toBe('music');
    feed.close();
    expect((await request(service.url).get('/events').set(writeOnly.bearer)).status).toBe(403);
    expect((await request(service.url).get('/events')).status).toBe(401);
    const page = await request(service.url).get('/events').set(music.bearer);
    expect(page.body.events.map((event: { data: { directory: string } }) => event.data.directory)).toEqual(['music/live', 'music']);
  });

  it('keeps an idle stream alive with comment lines', async () => {
    const feed = await openFeed(service.url, admin.bearer);
    await waitFor('a keep-alive comment', () => feed.comments.includes('keep-alive'));
    feed.close();
  });
});
