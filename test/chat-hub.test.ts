import { describe, expect, it } from 'vitest';
import { roomEvent, type RoomEvent } from '../src/chat/protocol.ts';
import { RateWindow } from '../src/chat/rate-limit.ts';
import { InProcessHub, type ChatHub, type RoomRateLimit } from '../src/chat/rooms.ts';
import { waitFor } from './helpers/wait.ts';

/** The ChatHub contract; a Redis hub should pass the same suite. */
const hubs: [string, (historySize: number, maxRooms: number, roomRateLimit?: RoomRateLimit) => ChatHub][] = [
  ['in-process', (historySize, maxRooms, roomRateLimit) => new InProcessHub({ historySize, maxRooms, roomRateLimit })],
];

/** Deliveries start on the next turn of the event loop (the fan-out's, scheduled first, runs before this). */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const decode = (events: readonly Buffer[]) => events.map((data) => JSON.parse(data.toString()) as RoomEvent);

describe.each(hubs)('%s chat hub', (_name, createHub) => {
  const texts = (events: RoomEvent[]) => events.map((event) => event.text);

  it('delivers a room event as JSON to every subscriber of that room only', async () => {
    const hub = createHub(10, 10);
    const seen: RoomEvent[][] = [[], [], []];
    hub.subscribe('a', (events) => seen[0]!.push(...decode(events)));
    hub.subscribe('a', (events) => seen[1]!.push(...decode(events)));
    hub.subscribe('b', (events) => seen[2]!.push(...decode(events)));
    const event = roomEvent('message', 'a', 'ann', 'hi');
    await hub.publish(event);
    await nextTurn();
    expect(seen[0]).toEqual([event]);
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[2]).toEqual([]);
    await hub.close();
  });

  it('stops delivering after unsubscribe, also when a delivery unsubscribes a member', async () => {
    const hub = createHub(10, 10);
    const seen: RoomEvent[] = [];
    let stopSecond = () => {};
    hub.subscribe('a', () => stopSecond());
    stopSecond = hub.subscribe('a', (events) => seen.push(...decode(events)));
    await hub.publish(roomEvent('message', 'a', 'ann', 'one'));
    await nextTurn();
    await hub.publish(roomEvent('message', 'a', 'ann', 'two'));
    await nextTurn();
    expect(texts(seen)).toEqual(['one']);
    await hub.close();
  });

  it('keeps the last historySize messages per room, oldest first, without join and leave', async () => {
    const hub = createHub(3, 10);
    await hub.publish(roomEvent('join', 'a', 'ann', 'ann joined'));
    for (const text of ['1', '2', '3', '4']) await hub.publish(roomEvent('message', 'a', 'ann', text));
    await hub.publish(roomEvent('leave', 'a', 'ann', 'ann left'));
    expect(texts(await hub.history('a'))).toEqual(['2', '3', '4']);
    expect(await hub.history('b')).toEqual([]);
    await hub.close();
  });

  it('forgets the least recently written room beyond maxRooms', async () => {
    const hub = createHub(5, 2);
    for (const room of ['a', 'b', 'a', 'c']) await hub.publish(roomEvent('message', room, 'ann', room));
    expect(texts(await hub.history('a'))).toEqual(['a', 'a']);
    expect(await hub.history('b')).toEqual([]);
    expect(texts(await hub.history('c'))).toEqual(['c']);
    await hub.close();
  });

  it('refuses messages beyond the room rate limit, keeping and delivering none of them, but never joins and leaves', async () => {
    const hub = createHub(10, 10, { messages: 2, intervalMs: 60_000 });
    const seen: RoomEvent[] = [];
    hub.subscribe('a', (events) => seen.push(...decode(events)));
    const accepted = [];
    for (const text of ['1', '2', '3']) accepted.push(await hub.publish(roomEvent('message', 'a', 'ann', text)));
    accepted.push(await hub.publish(roomEvent('leave', 'a', 'bob', 'bob left')));
    accepted.push(await hub.publish(roomEvent('message', 'b', 'ann', 'other room')));
    await nextTurn();
    expect(accepted).toEqual([true, true, false, true, true]);
    expect(texts(seen)).toEqual(['1', '2', 'bob left']);
    expect(texts(await hub.history('a'))).toEqual(['1', '2']);
    await hub.close();
  });

  it("lets the event loop run during a large fan-out, lets a quiet room go first and keeps each member's order", async () => {
    const hub = createHub(0, 10);
    const seen: string[][] = Array.from({ length: 2000 }, () => []);
    seen.forEach((mine) => hub.subscribe('big', (events) => mine.push(...texts(decode(events)))));
    let quietAt = -1;
    hub.subscribe('quiet', () => (quietAt = seen.filter((mine) => mine.length === 3).length));
    for (const text of ['1', '2']) await hub.publish(roomEvent('message', 'big', 'ann', text));
    await nextTurn();
    await hub.publish(roomEvent('message', 'big', 'ann', '3'));
    await hub.publish(roomEvent('message', 'quiet', 'bob', 'psst'));
    // A timer due now runs between slices, long before the 6,000 sends are done.
    const atTimer = await new Promise<number>((resolve) => setTimeout(() => resolve(seen.filter((mine) => mine.length === 3).length), 0));
    expect(atTimer).toBeLessThan(2000);
    await waitFor('every member to have the three events', () => seen.every((mine) => mine.length === 3));
    expect(seen.every((mine) => mine.join() === '1,2,3')).toBe(true);
    // The quiet room's one delivery went out while most of the big room still waited for its third event.
    expect(quietAt).toBeGreaterThanOrEqual(0);
    expect(quietAt).toBeLessThan(1000);
    await hub.close();
  });

  it('keeps no history when historySize is 0', async () => {
    const hub = createHub(0, 2);
    await hub.publish(roomEvent('message', 'a', 'ann', 'x'));
    expect(await hub.history('a')).toEqual([]);
    await hub.close();
  });
});

describe('rate window', () => {
  it('allows `limit` events per interval, then refuses until the next interval', () => {
    let now = 1000;
    const window = new RateWindow(2, 100, () => now);
    expect([window.take(), window.take(), window.take()]).toEqual([true, true, false]);
    now += 99;
    expect(window.take()).toBe(false);
    now += 1;
    expect([window.take(), window.take(), window.take()]).toEqual([true, true, false]);
  });
});
