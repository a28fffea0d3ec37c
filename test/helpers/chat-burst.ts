import { WebSocket } from 'ws';
import { waitFor } from './wait.ts';

export interface BurstOptions {
  clients: number;
  messagesEach: number;
  /** Give up on the burst after this long (the loop is bounded either way). */
  timeoutMs: number;
}

export interface BurstFigures {
  /** Latency of each GET /healthz sent one after another during the burst, in ms. */
  healthzMs: number[];
  /** Delay of each message of a quiet two-member room during the burst (still missing at the end: time waited), in ms. */
  quietMs: number[];
  /** The service's own longest event-loop stall during the burst (`nodejs_eventloop_lag_max_seconds`), in ms. */
  serverLagMaxMs: number;
  /** Milliseconds until every burst client had an answer (its own message or an error) to each of its messages. */
  burstMs: number;
}

/** A raw client: counts answers to its own messages cheaply, as 800,000 deliveries may arrive. */
function open(wsUrl: string, name: string, room: string, localAddress: string, onText: (text: string) => void): Promise<WebSocket> {
  const socket = new WebSocket(`${wsUrl}?name=${name}&room=${room}`, { localAddress, perMessageDeflate: false });
  socket.on('message', (data) => onText(data.toString()));
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

const message = (text: string) => JSON.stringify({ type: 'message', text });

/**
 * `clients` members of room "burst", each on its own loopback address (127.0.1.x) as separate hosts
 * would be, send `messagesEach` messages at once, while /healthz is probed back to back and a quiet room's
 * member sends a message every 50 ms.
 */
export async function runChatBurst(baseUrl: string, options: BurstOptions): Promise<BurstFigures> {
  const wsUrl = `${baseUrl.replace(/^http/, 'ws')}/chat/ws`;
  const sentAt = new Map<string, number>();
  const quietMs: number[] = [];
  const quietSender = await open(wsUrl, 'q1', 'quiet', '127.0.2.1', () => {});
  const quietReader = await open(wsUrl, 'q2', 'quiet', '127.0.2.2', (text) => {
    const event = JSON.parse(text) as { type: string; text: string };
    const sent = sentAt.get(event.text);
    if (event.type !== 'message' || sent === undefined) return;
    quietMs.push(Date.now() - sent);
    sentAt.delete(event.text);
  });

  const answers = new Array<number>(options.clients).fill(0);
  const joined = new Array<boolean>(options.clients).fill(false);
  const burst = await Promise.all(
    Array.from({ length: options.clients }, (_, i) => {
      const own = `"from":"b${i}"`;
      return open(wsUrl, `b${i}`, 'burst', `127.0.1.${i + 1}`, (text) => {
        if (text.startsWith('{"type":"error"') || (text.startsWith('{"type":"message"') && text.includes(own))) answers[i]! += 1;
        else if (text.startsWith('{"type":"join"') && text.includes(own)) joined[i] = true;
      });
    }),
  );
  await waitFor('every burst client to join', () => joined.every(Boolean), 20_000);

  // prom-client resets its event-loop delay histogram at each scrape: this one starts the burst's.
  await serverLagMaxMs(baseUrl);
  let running = true;
  const healthzMs: number[] = [];
  const healthz = (async () => {
    while (running) {
      const started = performance.now();
      await (await fetch(`${baseUrl}/healthz`)).arrayBuffer();
      healthzMs.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  let sequence = 0;
  const quietTimer = setInterval(() => {
    const text = `quiet ${sequence++}`;
    sentAt.set(text, Date.now());
    quietSender.send(message(text));
  }, 50);

  const started = Date.now();
  for (const [i, socket] of burst.entries()) {
    for (let m = 0; m < options.messagesEach; m++) socket.send(message(`b${i} says ${m}`));
    // All within milliseconds, yet this process keeps probing on time (its own stalls would count as the service's).
    await new Promise((resolve) => setImmediate(resolve));
  }
  const expected = options.messagesEach;
  await waitFor('every burst message to be answered', () => answers.every((count) => count >= expected), options.timeoutMs, 50).catch(
    () => undefined,
  );
  const burstMs = Date.now() - started;
  const lagMs = await serverLagMaxMs(baseUrl);
  clearInterval(quietTimer);
  running = false;
  await healthz;
  // Quiet messages sent during the burst and still not delivered count with the time they waited.
  for (const sent of sentAt.values()) quietMs.push(Date.now() - sent);

  for (const socket of [...burst, quietSender, quietReader]) socket.terminate();
  return { healthzMs, quietMs, burstMs, serverLagMaxMs: lagMs };
}

async function serverLagMaxMs(baseUrl: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const match = /^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text);
  return match ? Number(match[1]) * 1000 : Number.NaN;
}

/** The value below which `share` (0..1) of the samples fall. */
export function percentile(samples: number[], share: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)] ?? Number.NaN;
}
