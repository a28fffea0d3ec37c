import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * Baseline of the chat scenario: a bare `ws` broadcast server. Clients connect with
 * `?name=&room=`; a text frame `{"type":"message","text":...}` is sent, as the same envelope the
 * service sends (`{type, room, from, text, at}`, serialized once), to every client of the room,
 * the sender included. No validation, rate limit, history, join/leave events or backpressure
 * policy. Usage: raw-ws-broadcast.ts (prints `listening <port>`).
 */
const rooms = new Map<string, Set<WebSocket>>();
const server = http.createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, perMessageDeflate: false });

wss.on('connection', (ws, req) => {
  const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const room = params.get('room') ?? 'lobby';
  const from = params.get('name') ?? 'anonymous';
  let members = rooms.get(room);
  if (!members) rooms.set(room, (members = new Set()));
  members.add(ws);
  ws.on('message', (data) => {
    const { text } = JSON.parse(data.toString()) as { text: string };
    const out = JSON.stringify({ type: 'message', room, from, text, at: new Date().toISOString() });
    for (const member of members) member.send(out);
  });
  ws.on('close', () => members.delete(ws));
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`listening ${address.port}\n`);
});
process.on('SIGTERM', () => {
  for (const ws of wss.clients) ws.terminate();
  server.close(() => process.exit(0));
});
