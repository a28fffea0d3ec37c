import { afterEach, describe, expect, it } from 'vitest';
import { handshakeStatus, joinChat, startChat, type ChatClient, type RunningChat } from './helpers/chat.ts';
import { waitFor } from './helpers/wait.ts';

describe('chat handshake', () => {
  let running: RunningChat | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it('refuses an https Origin for the same host and port served over http', async () => {
    running = await startChat();
    expect(await handshakeStatus(running, { headers: { Origin: running.url } })).toBe(101);
    expect(await handshakeStatus(running, { headers: { Origin: running.url.replace(/^http:/, 'https:') } })).toBe(403);
  });

  it('refuses an Origin with userinfo, a path or any other shape a browser never sends', async () => {
    running = await startChat();
    const { host } = new URL(running.url);
    for (const origin of [`http://user@${host}`, `http://user:pw@${host}`, `http://${host}/`, `http://${host}/chat`, `HTTP://${host}`]) {
      expect(await handshakeStatus(running, { headers: { Origin: origin } }), origin).toBe(403);
    }
  });

  it('answers 429 beyond maxConnectionsPerAddress from one address and accepts again once one leaves', async () => {
    running = await startChat({ maxConnectionsPerAddress: 3 });
    const clients: ChatClient[] = [];
    for (let i = 0; i < 3; i++) clients.push(await joinChat(running, { name: `c${i}` }));
    expect(await handshakeStatus(running)).toBe(429);
    // Another address (the loopback net is a /8) still gets in.
    expect(await handshakeStatus(running, { localAddress: '127.0.0.2' })).toBe(101);
    await clients.pop()!.close();
    await waitFor('the server to see the close', () => running!.chat.connections === 2, 2000, 5);
    expect(await handshakeStatus(running)).toBe(101);
    await Promise.all(clients.map((client) => client.close()));
  });

  it('caps each address at 32 connections by default', async () => {
    running = await startChat();
    const clients: ChatClient[] = [];
    for (let i = 0; i < 32; i++) clients.push(await joinChat(running, { name: `c${i}` }));
    expect(await handshakeStatus(running)).toBe(429);
    await Promise.all(clients.map((client) => client.close()));
  });

  it('behind a trusted proxy takes the scheme from X-Forwarded-Proto and the address from X-Forwarded-For', async () => {
    running = await startChat({ maxConnectionsPerAddress: 1 }, { trustProxy: 'loopback' });
    const { host } = new URL(running.url);
    const viaTls = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.1' };
    expect(await handshakeStatus(running, { headers: { ...viaTls, Origin: `https://${host}` } })).toBe(101);
    expect(await handshakeStatus(running, { headers: { ...viaTls, Origin: `http://${host}` } })).toBe(403);
    const first = await joinChat(running, { headers: { 'X-Forwarded-For': '203.0.113.1' } });
    expect(await handshakeStatus(running, { headers: { 'X-Forwarded-For': '203.0.113.1' } })).toBe(429);
    expect(await handshakeStatus(running, { headers: { 'X-Forwarded-For': '203.0.113.2' } })).toBe(101);
    await first.close();
  });
});
