import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { ChatConfig } from './config.ts';
import { WebSocket, WebSocketServer } from 'ws';
import { clientAddress, compileTrust, isOriginAllowed, rejectHandshake } from './handshake.ts';
import { startHeartbeat } from './heartbeat.ts';
import type { Metrics } from '../observability/metrics.ts';
import { InProcessHub, type ChatHub } from './rooms.ts';
import { openSession, type SessionContext } from './session.ts';

export const CHAT_WS_PATH = '/chat/ws';

// RFC 6455 section 7.4.1: 1001 "going away", e.g. a server going down.
export const CLOSE_GOING_AWAY = 1001;

export interface ChatDeps {
  logger: Logger;
  /** Where rooms live: shared through Redis or in this process. */
  hub: ChatHub;
  metrics?: Metrics;
}

export interface ChatHandle {
  /** Open WebSocket connections. */
  readonly connections: number;
  /** Stops accepting, closes every socket with `code` (destroying those that do not finish in time), closes the hub. */
  close(code?: number): Promise<void>;
}

/** Serves the chat WebSocket on `server`'s upgrade requests to /chat/ws. */
/** What chat needs of the service's config; `server.trustProxy` decides whose address counts. */
export interface ChatServiceConfig {
  chat: ChatConfig;
  server: { trustProxy: boolean | number | string };
}

export function attachChat(server: Server, config: ChatServiceConfig, deps: ChatDeps): ChatHandle {
  const options = config.chat;
  const logger = deps.logger.child({ module: 'chat' });
  const hub = deps.metrics ? countingEvents(deps.hub, deps.metrics) : deps.hub;
  const context: SessionContext = { config: options, hub, logger };
  // permessage-deflate off: it costs memory per connection and CPU per message for short chat texts.
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: options.maxMessageBytes });
  const heartbeat = startHeartbeat(wss.clients, options.heartbeatMs, () => logger.info('dropping peer that stopped answering pings'));
  const trust = compileTrust(config.server.trustProxy);
  /** Open connections per client address; an address leaves the map with its last connection. */
  const perAddress = new Map<string, number>();
  let closing: Promise<void> | undefined;

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // The HTTP server stops listening for socket errors once it hands the socket over.
    socket.on('error', (err) => logger.debug({ err }, 'upgrade socket error'));
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== CHAT_WS_PATH) return rejectHandshake(socket, 404, 'no WebSocket endpoint here');
    if (!isOriginAllowed(req, options, trust)) return rejectHandshake(socket, 403, 'origin not allowed');
    if (wss.clients.size >= options.maxConnections) return rejectHandshake(socket, 503, 'too many connections');
    const address = clientAddress(req, trust);
    const fromAddress = perAddress.get(address) ?? 0;
    if (fromAddress >= options.maxConnectionsPerAddress) return rejectHandshake(socket, 429, 'too many connections from this address');
    wss.handleUpgrade(req, socket, head, (ws) => {
      perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
      ws.on('error', (err) => logger.debug({ err, address }, 'chat socket error'));
      heartbeat.track(ws);
      deps.metrics?.chatConnections.inc();
      ws.once('close', () => {
        deps.metrics?.chatConnections.dec();
        const left = (perAddress.get(address) ?? 1) - 1;
        if (left > 0) perAddress.set(address, left);
        else perAddress.delete(address);
      });
      openSession(ws, address, url.searchParams, context);
    });
  };
  server.on('upgrade', onUpgrade);

  return {
    get connections() {
      return wss.clients.size;
    },
    close(code = CLOSE_GOING_AWAY) {
      closing ??= shutDown(code);
      return closing;
    },
  };

  async function shutDown(code: number): Promise<void> {
    // New handshakes now find no upgrade listener; Node then answers them as plain HTTP requests.
    server.off('upgrade', onUpgrade);
    heartbeat.stop();
    await closeAll(wss.clients, code, options.closeTimeoutMs);
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await hub.close();
  }
}

/** The hub, counting each published event by type for /metrics. */
function countingEvents(hub: ChatHub, metrics: Metrics): ChatHub {
  return {
    publish: async (event) => {
      const accepted = await hub.publish(event);
      if (accepted) metrics.chatMessages.inc({ type: event.type });
      return accepted;
    },
    subscribe: (room, deliver) => hub.subscribe(room, deliver),
    history: (room) => hub.history(room),
    close: () => hub.close(),
  };
}

/**
 * The hub the config asks for: Redis when `chat.redisUrl` is set, else this process's rooms. The
 * Redis client is loaded only then: a service without Redis does not load it at start.
 */
export async function createHub(config: ChatConfig, logger: Logger): Promise<ChatHub> {
  const { historySize, roomRateLimit } = config;
  if (config.redisUrl) {
    const { RedisHub } = await import('./redis-hub.ts');
    return new RedisHub({ url: config.redisUrl, historySize, roomRateLimit, logger });
  }
  return new InProcessHub({ historySize, maxRooms: config.maxRooms, roomRateLimit });
}

async function closeAll(sockets: Set<WebSocket>, code: number, timeoutMs: number): Promise<void> {
  const closed = [...sockets].map(
    (socket) =>
      new Promise<void>((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.close(code, code === CLOSE_GOING_AWAY ? 'server shutting down' : undefined);
      }),
  );
  const timer = setTimeout(() => sockets.forEach((socket) => socket.terminate()), timeoutMs);
  await Promise.all(closed);
  clearTimeout(timer);
}
