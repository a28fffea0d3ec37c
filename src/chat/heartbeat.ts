import type { WebSocket } from 'ws';

export interface Heartbeat {
  /** Starts watching a new connection; it counts as alive until the first ping goes unanswered. */
  track(socket: WebSocket): void;
  stop(): void;
}

/**
 * Pings every client each interval. A client that has not answered the previous ping with a pong
 * (RFC 6455 section 5.5.3: an endpoint MUST answer a ping) is terminated: a dead peer or a vanished
 * network path would otherwise hold its room membership forever. A dead peer goes within two intervals.
 */
export function startHeartbeat(clients: Set<WebSocket>, intervalMs: number, onDrop: (socket: WebSocket) => void): Heartbeat {
  const answered = new WeakSet<WebSocket>();
  const timer = setInterval(() => {
    for (const socket of clients) {
      if (!answered.has(socket)) {
        onDrop(socket);
        socket.terminate();
        continue;
      }
      answered.delete(socket);
      socket.ping();
    }
  }, intervalMs);
  timer.unref();
  return {
    track(socket) {
      answered.add(socket);
      socket.on('pong', () => answered.add(socket));
    },
    stop() {
      clearInterval(timer);
    },
  };
}
