import { WebSocket } from 'ws';
import type { ChatConfig } from '../../src/chat/config.ts';
import { serverEventSchema, type ServerEvent } from '../../src/chat/protocol.ts';
import { startService, type RunningService } from './app.ts';
import { waitFor } from './wait.ts';

export interface RunningChat extends RunningService {
  /** ws://127.0.0.1:<port>/chat/ws */
  wsUrl: string;
}

type ChatOverrides = Partial<Omit<ChatConfig, 'rateLimit' | 'roomRateLimit'>> & {
  rateLimit?: Partial<ChatConfig['rateLimit']>;
  roomRateLimit?: Partial<ChatConfig['roomRateLimit']>;
};

/** Short timeouts for tests; a heartbeat slow enough not to interfere unless a test asks for one. */
const testDefaults: ChatOverrides = { heartbeatMs: 60_000, closeTimeoutMs: 500 };

/** The app and the chat on one real HTTP server on 127.0.0.1; `close()` stops both. */
export async function startChat(
  overrides: ChatOverrides = {},
  server: { trustProxy?: boolean | number | string } = {},
): Promise<RunningChat> {
  const service = await startService({ chat: { ...testDefaults, ...overrides }, server });
  return { ...service, wsUrl: `${service.url.replace(/^http/, 'ws')}/chat/ws` };
}

export interface ConnectOptions {
  name?: string;
  room?: string;
  headers?: Record<string, string>;
  /** false makes a peer that never answers pings. */
  autoPong?: boolean;
  /** The client's own address, e.g. another loopback address (127.0.0.2) to look like another host. */
  localAddress?: string;
}

export function chatUrl(running: RunningChat, { name, room }: ConnectOptions = {}): string {
  const params = new URLSearchParams();
  if (name !== undefined) params.set('name', name);
  if (room !== undefined) params.set('room', room);
  return `${running.wsUrl}?${params}`;
}

/** A ws client that records every server event (validated against the protocol schema). */
export class ChatClient {
  readonly events: ServerEvent[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Pings the server has sent: a marker that its heartbeat ran since a moment in the test. */
  pings = 0;
  private cursor = 0;

  constructor(readonly socket: WebSocket) {
    socket.on('ping', () => this.pings++);
    socket.on('message', (data) => this.events.push(serverEventSchema.parse(JSON.parse(data.toString()))));
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  send(text: string): void {
    this.socket.send(JSON.stringify({ type: 'message', text }));
  }

  /** The next `count` events not taken yet; fails after `timeoutMs`. */
  async take(count: number, timeoutMs = 3000): Promise<ServerEvent[]> {
    await waitFor(
      `${count} events (have ${this.events.length - this.cursor})`,
      () => this.events.length >= this.cursor + count,
      timeoutMs,
      5,
    );
    const taken = this.events.slice(this.cursor, this.cursor + count);
    this.cursor += count;
    return taken;
  }

  /** Events not taken yet, without waiting. */
  pending(): ServerEvent[] {
    return this.events.slice(this.cursor);
  }

  async close(): Promise<void> {
    if (this.socket.readyState !== WebSocket.CLOSED) this.socket.close(1000);
    await this.closed;
  }
}

/** Opens a client and waits for the handshake to finish. */
export async function connectChat(running: RunningChat, options: ConnectOptions = {}): Promise<ChatClient> {
  const socket = new WebSocket(chatUrl(running, options), {
    headers: options.headers,
    autoPong: options.autoPong ?? true,
    localAddress: options.localAddress,
  });
  const client = new ChatClient(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return client;
}

/** Opens a client and joins: returns it once its history and own join have arrived. */
export async function joinChat(running: RunningChat, options: ConnectOptions = {}): Promise<ChatClient> {
  const client = await connectChat(running, options);
  await client.take(2);
  return client;
}

/** The HTTP status a refused handshake gets (or 101 if it was accepted, then closed). */
export function handshakeStatus(running: RunningChat, options: ConnectOptions = {}): Promise<number> {
  const socket = new WebSocket(chatUrl(running, options), { headers: options.headers, localAddress: options.localAddress });
  return new Promise((resolve, reject) => {
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      socket.terminate();
    });
    socket.once('open', () => {
      resolve(101);
      socket.close(1000);
    });
    socket.on('error', (error) => reject(error));
  });
}
