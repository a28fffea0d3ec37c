import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectChat, joinChat, startChat, type RunningChat } from './helpers/chat.ts';
import { startRedis, type RedisServer } from './helpers/redis.ts';

describe('chat rooms shared through Redis', () => {
  let redis: RedisServer;
  let east: RunningChat;
  let west: RunningChat;
  beforeAll(async () => {
    redis = await startRedis();
    east = await startChat({ redisUrl: redis.url, historySize: 5 });
    west = await startChat({ redisUrl: redis.url, historySize: 5 });
  }, 30_000);
  afterAll(async () => {
    await east?.close();
    await west?.close();
    await redis?.stop();
  });

  it('delivers joins and messages sent on one instance to members on the other', async () => {
    const ann = await joinChat(east, { name: 'ann', room: 'shared' });
    const bob = await joinChat(west, { name: 'bob', room: 'shared' });
    const [bobJoin] = await ann.take(1);
    expect(bobJoin).toMatchObject({ type: 'join', from: 'bob', room: 'shared' });

    ann.send('hello from east');
    const [atBob] = await bob.take(1);
    expect(atBob).toMatchObject({ type: 'message', from: 'ann', text: 'hello from east' });
    const [own] = await ann.take(1);
    expect(own).toMatchObject({ type: 'message', text: 'hello from east' });

    await bob.close();
    const [leave] = await ann.take(1);
    expect(leave).toMatchObject({ type: 'leave', from: 'bob' });
    await ann.close();
  });

  it('shares history: a member joining on the other instance gets the last messages', async () => {
    const ann = await joinChat(east, { name: 'ann', room: 'history' });
    for (const text of ['one', 'two', 'three']) ann.send(text);
    await ann.take(3);
    const carl = await connectChat(west, { name: 'carl', room: 'history' });
    const [history] = await carl.take(1);
    expect(history).toMatchObject({ type: 'history', room: 'history' });
    expect((history as { messages: { text: string }[] }).messages.map((m) => m.text)).toEqual(['one', 'two', 'three']);
    await carl.close();
    await ann.close();
  });

  it('keeps rooms apart across instances', async () => {
    const ann = await joinChat(east, { name: 'ann', room: 'red' });
    const bob = await joinChat(west, { name: 'bob', room: 'blue' });
    ann.send('only red');
    await ann.take(1);
    // A marker published on the same instance after the red message: once bob has it, anything
    // from red would have arrived before it.
    const carl = await joinChat(east, { name: 'carl', room: 'blue' });
    carl.send('marker in blue');
    const atBob = await bob.take(2);
    expect(atBob).toMatchObject([
      { type: 'join', from: 'carl' },
      { type: 'message', text: 'marker in blue' },
    ]);
    expect(bob.pending()).toEqual([]);
    await Promise.all([ann.close(), bob.close(), carl.close()]);
  });

  it('counts the room rate limit across instances and answers room_busy beyond it', async () => {
    const limited = { redisUrl: redis.url, roomRateLimit: { messages: 3, intervalMs: 60_000 } };
    const [north, south] = await Promise.all([startChat(limited), startChat(limited)]);
    const ann = await joinChat(north, { name: 'ann', room: 'busy' });
    const bob = await joinChat(south, { name: 'bob', room: 'busy' });
    await ann.take(1);
    ann.send('a1');
    ann.send('a2');
    expect((await ann.take(2)).map((e) => e.type)).toEqual(['message', 'message']);
    bob.send('b1');
    bob.send('b2');
    const atBob = await bob.take(4);
    const seen = atBob.map((e) => (e.type === 'error' ? e.code : e.type === 'message' ? e.text : e.type));
    expect(seen.slice(0, 2)).toEqual(['a1', 'a2']);
    // b1 comes back through Redis while b2's refusal is answered at once: either may arrive first.
    expect(seen.slice(2).sort()).toEqual(['b1', 'room_busy']);
    expect(atBob.find((e) => e.type === 'error')).toMatchObject({ text: 'room busy takes at most 3 messages per 60000 ms' });
    await Promise.all([ann.close(), bob.close()]);
    await Promise.all([north.close(), south.close()]);
  });

  it('reports Redis in /readyz, and 503 when it is gone', async () => {
    expect((await request(east.url).get('/readyz')).status).toBe(200);
    const lonely = await startRedis();
    const service = await startChat({ redisUrl: lonely.url });
    await lonely.stop();
    const res = await request(service.url).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.problems).toContain('chat redis not reachable');
    await service.close();
  }, 20_000);
});
