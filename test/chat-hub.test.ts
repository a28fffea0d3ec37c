import { describe, expect, it } from 'vitest';
import { roomEvent, type RoomEvent } from '../src/chat/protocol.ts';
import { RateWindow } from '../src/chat/rate-limit.ts';
import { InProcessHub, type ChatHub } from '../src/chat/rooms.ts';

/** The ChatHub contract; a Redis hub should pass the same suite. */
const hubs: [string, (historySize: number, maxRooms: number) => ChatHub][] = [
  ['in-process', (historySize, maxRooms) => new InProcessHub({ historySize, maxRooms })],
];

describe.each(hubs)('%s chat hub', (_name, createHub) => {
  const texts = (events: RoomEvent[]) => events.map((event) => event.text);

  it('delivers a room event as JSON to every subscriber of that room only', async () => {
    const hub = createHub(10, 10);
    const seen: string[][] = [[], [], []];
    hub.subscribe('a', (data) => seen[0]!.push(data));
    hub.subscribe('a', (data) => seen[1]!.push(data));
    hub.subscribe('b', (data) => seen[2]!.push(data));
    const event = roomEvent('message', 'a', 'ann', 'hi');
    await hub.publish(event);
    expect(seen[0]!.map((data) => JSON.parse(data))).toEqual([event]);
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[2]).toEqual([]);
    await hub.close();
  });

  it('stops delivering after unsubscribe, also when a delivery unsubscribes a member', async () => {
    const hub = createHub(10, 10);
    const seen: string[] = [];
    let stopSecond = () => {};
    hub.subscribe('a', () => stopSecond());
    stopSecond = hub.subscribe('a', (data) => seen.push(data));
    await hub.publish(roomEvent('message', 'a', 'ann', 'one'));
    await hub.publish(roomEvent('message', 'a', 'ann', 'two'));
    expect(seen.map((data) => JSON.parse(data).text)).toEqual(['one']);
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
