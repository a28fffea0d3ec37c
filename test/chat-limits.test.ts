import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { handshakeStatus, joinChat, startChat, type RunningChat } from './helpers/chat.ts';
import { waitFor } from './helpers/wait.ts';

describe('chat limits', () => {
  let running: RunningChat | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it('accepts the same origin, listed origins and clients without Origin; refuses others with 403', async () => {
    running = await startChat({ allowedOrigins: ['https://App.Example'] });
    const own = running.url;
    expect(await handshakeStatus(running, { headers: { Origin: own } })).toBe(101);
    expect(await handshakeStatus(running)).toBe(101);
    expect(await handshakeStatus(running, { headers: { Origin: 'https://app.example' } })).toBe(101);
    expect(await handshakeStatus(running, { headers: { Origin: 'https://evil.example' } })).toBe(403);
    expect(await handshakeStatus(running, { headers: { Origin: own.replace('127.0.0.1', 'localhost') } })).toBe(403);
    expect(await handshakeStatus(running, { headers: { Origin: 'null' } })).toBe(403);
  });

  it('refuses clients without Origin with 403 when allowMissingOrigin is false', async () => {
    running = await startChat({ allowMissingOrigin: false });
    expect(await handshakeStatus(running)).toBe(403);
    expect(await handshakeStatus(running, { headers: { Origin: running.url } })).toBe(101);
  });

  it('answers 503 beyond maxConnections and accepts again once one leaves', async () => {
    running = await startChat({ maxConnections: 2 });
    const first = await joinChat(running, { name: 'first' });
    const second = await joinChat(running, { name: 'second' });
    expect(await handshakeStatus(running)).toBe(503);
    await first.close();
    await waitFor('the server to see the close', () => running!.chat.connections === 1, 2000, 5);
    expect(await handshakeStatus(running)).toBe(101);
    await second.close();
  });

  it('answers messages over the rate limit with an error event, then closes with 1008', async () => {
    running = await startChat({ rateLimit: { messages: 3, intervalMs: 60_000 }, maxStrikes: 3 });
    const chatty = await joinChat(running, { name: 'chatty', room: 'rate' });
    const quiet = await joinChat(running, { name: 'quiet', room: 'rate' });
    await chatty.take(1);
    for (let i = 1; i <= 6; i++) chatty.send(`m${i}`);
    const events = await chatty.take(6);
    expect(events.map((e) => (e.type === 'error' ? e.code : e.type))).toEqual([
      'message',
      'message',
      'message',
      'rate_limited',
      'rate_limited',
      'rate_limited',
    ]);
    expect(await chatty.closed).toEqual({ code: 1008, reason: 'too many rejected messages' });
    const seen = await quiet.take(4);
    expect(seen.map((e) => e.type)).toEqual(['message', 'message', 'message', 'leave']);
    await quiet.close();
  });

  it('answers messages over the room rate limit with room_busy, without a strike, and sends them to no one', async () => {
    running = await startChat({ roomRateLimit: { messages: 2, intervalMs: 60_000 }, maxStrikes: 2 });
    const ann = await joinChat(running, { name: 'ann', room: 'busy' });
    const bob = await joinChat(running, { name: 'bob', room: 'busy' });
    await ann.take(1);
    for (const text of ['1', '2', '3', '4', '5']) ann.send(text);
    const atAnn = await ann.take(5);
    expect(atAnn.map((e) => (e.type === 'error' ? e.code : e.type))).toEqual(['message', 'message', 'room_busy', 'room_busy', 'room_busy']);
    expect(atAnn[2]).toMatchObject({ text: 'room busy takes at most 2 messages per 60000 ms' });
    bob.send('6');
    expect((await bob.take(3)).map((e) => (e.type === 'error' ? e.code : e.type === 'message' ? e.text : e.type))).toEqual([
      '1',
      '2',
      'room_busy',
    ]);
    // Still connected: a busy room is not the client's fault. One more refused message is answered,
    // so the server handled every earlier one with ann still connected.
    ann.send('7');
    expect(await ann.take(1)).toMatchObject([{ type: 'error', code: 'room_busy' }]);
    expect(running.chat.connections).toBe(2);
    await Promise.all([ann.close(), bob.close()]);
  });

  it('drops a peer that stops answering pings and tells the room', async () => {
    // The live client shares this process's event loop with the server: an interval well above a GC pause.
    running = await startChat({ heartbeatMs: 250 });
    const live = await joinChat(running, { name: 'live', room: 'beat' });
    const silent = await joinChat(running, { name: 'silent', room: 'beat', autoPong: false });
    await live.take(1);
    const started = Date.now();
    // RFC 6455 close code 1006: the connection ended without a closing handshake.
    expect((await silent.closed).code).toBe(1006);
    expect(Date.now() - started).toBeLessThan(3000);
    const [leave] = await live.take(1);
    expect(leave).toMatchObject({ type: 'leave', from: 'silent' });
    // Two more heartbeats reach the live peer: it answered each, and is still counted.
    const pingsSoFar = live.pings;
    await waitFor('two more heartbeats', () => live.pings >= pingsSoFar + 2, 3000);
    expect(running.chat.connections).toBe(1);
    live.send('still connected');
    expect(await live.take(1)).toMatchObject([{ type: 'message', text: 'still connected' }]);
    await live.close();
  });

  it('drops a client that stops reading, while the others keep receiving', async () => {
    running = await startChat({
      maxMessageBytes: 32 * 1024,
      maxBufferedBytes: 64 * 1024,
      rateLimit: { messages: 100_000 },
      roomRateLimit: { messages: 100_000 },
    });
    const writer = await joinChat(running, { name: 'writer', room: 'flood' });
    const reader = await joinChat(running, { name: 'reader', room: 'flood' });
    const slow = await joinChat(running, { name: 'slow', room: 'flood' });
    await writer.take(2);
    await reader.take(1);
    (slow.socket as unknown as { _socket: Socket })._socket.pause();

    const text = 'x'.repeat(16 * 1024);
    let sent = 0;
    const deadline = Date.now() + 15_000;
    // Batches that the fast reader must receive before the next, up to 64 MiB: far more than the kernel buffers.
    while (running.chat.connections === 3 && sent < 4000 && Date.now() < deadline) {
      for (let i = 0; i < 50; i++) writer.send(text);
      sent += 50;
      await reader.take(50, 5000);
    }
    expect(running.chat.connections).toBe(2);
    writer.send('after the drop');
    // The leave falls between two of the writer's messages (the writer's are handled one per turn), then the last.
    await waitFor('the message after the drop', () => reader.events.some((e) => e.type === 'message' && e.text === 'after the drop'), 5000);
    expect(reader.events.filter((e) => e.type === 'leave').map((e) => e.type === 'leave' && e.from)).toEqual(['slow']);
    expect(reader.events.at(-1)).toMatchObject({ type: 'message', text: 'after the drop' });

    (slow.socket as unknown as { _socket: Socket })._socket.resume();
    expect((await slow.closed).code).toBe(1006);
    expect(slow.events.length).toBeLessThan(sent);
    await Promise.all([writer.close(), reader.close()]);
  });

  it('closes every socket with 1001 when the chat is closed', async () => {
    running = await startChat();
    const one = await joinChat(running, { name: 'one', room: 'a' });
    const two = await joinChat(running, { name: 'two', room: 'b' });
    await running.chat.close();
    expect(await one.closed).toEqual({ code: 1001, reason: 'server shutting down' });
    expect((await two.closed).code).toBe(1001);
    expect(running.chat.connections).toBe(0);
  });
});
