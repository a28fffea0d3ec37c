import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../src/chat/protocol.ts';
import { connectChat, joinChat, startChat, type ChatClient, type RunningChat } from './helpers/chat.ts';

const HISTORY_SIZE = 5;
const MAX_MESSAGE_BYTES = 1024;
const MAX_STRIKES = 6;

/** The parts of room events that do not depend on the clock. */
function summary(events: ServerEvent[]): string[] {
  return events.map((event) => {
    if (event.type === 'history') return `history(${event.messages.map((m) => m.text).join(',')})`;
    if (event.type === 'error') return `error:${event.code}`;
    return `${event.type}:${event.room}:${event.from}:${event.text}`;
  });
}

describe('chat protocol', () => {
  let running: RunningChat;
  beforeAll(async () => {
    running = await startChat({ historySize: HISTORY_SIZE, maxMessageBytes: MAX_MESSAGE_BYTES, maxStrikes: MAX_STRIKES });
  });
  afterAll(() => running.close());

  it('broadcasts join, message and leave in order to every member of the room', async () => {
    const alice = await connectChat(running, { name: 'alice', room: 'order' });
    expect(summary(await alice.take(2))).toEqual(['history()', 'join:order:alice:alice joined']);
    const bob = await connectChat(running, { name: 'bob', room: 'order' });
    expect(summary(await bob.take(2))).toEqual(['history()', 'join:order:bob:bob joined']);
    const carol = await connectChat(running, { name: 'carol', room: 'order' });
    expect(summary(await carol.take(2))).toEqual(['history()', 'join:order:carol:carol joined']);

    alice.send('hello');
    await carol.close();

    expect(summary(await alice.take(4))).toEqual([
      'join:order:bob:bob joined',
      'join:order:carol:carol joined',
      'message:order:alice:hello',
      'leave:order:carol:carol left',
    ]);
    expect(summary(await bob.take(3))).toEqual([
      'join:order:carol:carol joined',
      'message:order:alice:hello',
      'leave:order:carol:carol left',
    ]);
    expect(summary(carol.events.slice(2))).toEqual(['message:order:alice:hello']);
    const message = alice.events.find((event) => event.type === 'message');
    expect(message).toMatchObject({ type: 'message', room: 'order', from: 'alice', text: 'hello' });
    expect(Date.parse((message as { at: string }).at)).toBeGreaterThan(Date.now() - 60_000);
    await Promise.all([alice.close(), bob.close()]);
  });

  it('keeps rooms apart', async () => {
    const red = await joinChat(running, { name: 'red', room: 'red' });
    const blue = await joinChat(running, { name: 'blue', room: 'blue' });
    red.send('only for red');
    expect(summary(await red.take(1))).toEqual(['message:red:red:only for red']);
    blue.send('only for blue');
    // Delivery is in order, so had red's message reached blue it would come before blue's own.
    expect(summary(await blue.take(1))).toEqual(['message:blue:blue:only for blue']);
    expect(red.pending()).toEqual([]);
    await Promise.all([red.close(), blue.close()]);
  });

  it('puts a member without a name in the default room lobby under its address', async () => {
    const anonymous = await connectChat(running);
    expect(summary(await anonymous.take(2))).toEqual(['history()', 'join:lobby:127.0.0.1:127.0.0.1 joined']);
    await anonymous.close();
  });

  it(`replays the last ${HISTORY_SIZE} messages of the room to a new member, oldest first`, async () => {
    const writer = await joinChat(running, { name: 'writer', room: 'history' });
    for (let i = 1; i <= HISTORY_SIZE + 2; i++) writer.send(`m${i}`);
    await writer.take(HISTORY_SIZE + 2);
    const other = await joinChat(running, { name: 'other', room: 'elsewhere' });
    other.send('not in history');
    await other.take(1);

    const late = await connectChat(running, { name: 'late', room: 'history' });
    expect(summary(await late.take(2))).toEqual(['history(m3,m4,m5,m6,m7)', 'join:history:late:late joined']);
    await Promise.all([writer.close(), other.close(), late.close()]);
  });

  it.each([
    ['too long', 'x'.repeat(33)],
    ['HTML', '<b>x</b>'],
    ['a control character', 'a\u0000b'],
    ['punctuation', 'semi;colon'],
    ['only spaces', '   '],
    ['a bidi override', 'abc\u202Eexe'],
    ['a leading dot', '.hidden'],
  ])('refuses a nickname with %s: error event, then close 1008', async (_what, name) => {
    const client = await connectChat(running, { name, room: 'names' });
    const [error] = await client.take(1);
    expect(error).toMatchObject({ type: 'error', code: 'invalid_name' });
    expect(await client.closed).toEqual({ code: 1008, reason: 'invalid name' });
  });

  it('refuses a room name with a slash', async () => {
    const client = await connectChat(running, { name: 'ok', room: 'a/b' });
    expect(summary(await client.take(1))).toEqual(['error:invalid_room']);
    expect((await client.closed).code).toBe(1008);
  });

  it.each(['歌手 Ana_1.x', 'नमस्ते', 'Zoë-2'])('accepts the nickname %s, trimmed', async (name) => {
    const client = await connectChat(running, { name: `  ${name} `, room: 'names' });
    expect(summary(await client.take(2))).toEqual(['history()', `join:names:${name}:${name} joined`]);
    await client.close();
  });

  it('answers malformed messages with an error event and keeps the connection', async () => {
    const client = await joinChat(running, { name: 'sloppy', room: 'malformed' });
    for (const frame of ['not json', '{"type":"message"}', '{"type":"shout","text":"x"}', '{"type":"message","text":"  "}', '[]']) {
      client.socket.send(frame);
    }
    expect(summary(await client.take(5))).toEqual(Array(5).fill('error:invalid_message'));
    client.send('fine now');
    expect(summary(await client.take(1))).toEqual(['message:malformed:sloppy:fine now']);
    await client.close();
  });

  it('closes with 1008 after maxStrikes rejected messages in a row', async () => {
    const client = await joinChat(running, { name: 'abuser', room: 'strikes' });
    for (let i = 0; i < MAX_STRIKES; i++) client.socket.send('garbage');
    expect(summary(await client.take(MAX_STRIKES))).toEqual(Array(MAX_STRIKES).fill('error:invalid_message'));
    expect(await client.closed).toEqual({ code: 1008, reason: 'too many rejected messages' });
  });

  it('closes with 1009 when a message is larger than maxMessageBytes', async () => {
    const client = await joinChat(running, { name: 'big', room: 'limits' });
    client.send('x'.repeat(MAX_MESSAGE_BYTES));
    expect((await client.closed).code).toBe(1009);
  });

  it('closes with 1007 on a text frame that is not UTF-8', async () => {
    const client = await joinChat(running, { name: 'bytes', room: 'limits' });
    client.socket.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await client.closed).code).toBe(1007);
  });

  it('closes with 1003 on a binary frame', async () => {
    const client = await joinChat(running, { name: 'binary', room: 'limits' });
    client.socket.send(Buffer.from('{"type":"message","text":"x"}'), { binary: true });
    expect(await client.closed).toEqual({ code: 1003, reason: 'text frames only' });
  });

  it('tells the room when a member is closed for a protocol error', async () => {
    const watcher: ChatClient = await joinChat(running, { name: 'watcher', room: 'fallout' });
    const offender = await joinChat(running, { name: 'offender', room: 'fallout' });
    await watcher.take(1);
    offender.send('x'.repeat(MAX_MESSAGE_BYTES * 2));
    await offender.closed;
    expect(summary(await watcher.take(1))).toEqual(['leave:fallout:offender:offender left']);
    watcher.send('still here');
    expect(summary(await watcher.take(1))).toEqual(['message:fallout:watcher:still here']);
    await watcher.close();
  });
});
