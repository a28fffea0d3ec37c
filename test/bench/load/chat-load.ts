import { WebSocket, type RawData } from 'ws';
import type { ChatLoadJob, ChatLoadResult } from './load-job.ts';

/**
 * A chat load process: `clients` WebSocket clients join one room; the first `senders` of them
 * each send `ratePerSec` messages per second (evenly staggered), each text carrying the message's
 * sequence number and its send time. Every client counts the deliveries of each message and
 * their latency (receive - send, this process's clock). A warm-up of sending comes first; the
 * figures cover the messages sent during the measured `durationSeconds`, each counted when it
 * arrives (up to `drainMs` after the last one is sent). Prints a ChatLoadResult as JSON.
 */
const job = JSON.parse(process.argv[2]!) as ChatLoadJob;
const CONNECT_BATCH = 50;
const MARK = Buffer.from('"text":"m ');

const errors: string[] = [];
let closedEarly = 0;
let running = true;
const now = () => performance.now();

// Message sequence number -> send time. Sequence numbers are global across senders.
const sentAt: number[] = [];
let firstMeasured = Infinity;
let lastMeasured = -1;
let measuredDeliveries = 0;
const latencies: number[] = [];

function onMessage(data: RawData): void {
  const buffer = data as Buffer;
  const at = buffer.indexOf(MARK);
  if (at < 0) return; // history, join, leave
  const t = now();
  const start = at + MARK.length;
  const end = buffer.indexOf(0x20, start); // "m <seq> <padding>"
  const seq = Number(buffer.toString('latin1', start, end));
  if (seq < firstMeasured || seq > lastMeasured) return;
  measuredDeliveries += 1;
  latencies.push(t - sentAt[seq]!);
}

function connect(index: number): Promise<WebSocket> {
  const name = `c${index}`;
  const ws = new WebSocket(`${job.url}?name=${name}&room=${encodeURIComponent(job.room)}`, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.on('message', onMessage);
    ws.on('close', () => {
      if (running) closedEarly += 1;
    });
    ws.on('error', (error) => errors.length < 10 && errors.push(error.message));
  });
}

const clients: WebSocket[] = [];
for (let i = 0; i < job.clients; i += CONNECT_BATCH) {
  const batch = Array.from({ length: Math.min(CONNECT_BATCH, job.clients - i) }, (_, k) => connect(i + k));
  clients.push(...(await Promise.all(batch)));
}
// Let the join storm (one join event per client, fanned out to the room) pass before sending.
await new Promise((resolve) => setTimeout(resolve, job.settleMs));

// One schedule for all senders: a message every 1000 / (senders * rate) ms, senders in turn.
const periodMs = 1000 / (job.senders * job.ratePerSec);
const warmupCount = Math.round((job.warmupSeconds * 1000) / periodMs);
const measuredCount = Math.round((job.durationSeconds * 1000) / periodMs);
firstMeasured = warmupCount;
const total = warmupCount + measuredCount;
const padding = 'x'.repeat(job.textBytes);
const cpu0 = process.cpuUsage();

const started = now();
let seq = 0;
await new Promise<void>((resolve) => {
  const tick = () => {
    const due = Math.min(total, Math.floor((now() - started) / periodMs) + 1);
    for (; seq < due; seq++) {
      const sender = clients[seq % job.senders]!;
      sentAt[seq] = now();
      if (seq >= firstMeasured) lastMeasured = seq;
      if (sender.readyState === WebSocket.OPEN) sender.send(JSON.stringify({ type: 'message', text: `m ${seq} ${padding}` }));
    }
    if (seq >= total) return resolve();
    setTimeout(tick, Math.max(0, started + seq * periodMs - now()));
  };
  tick();
});
const lastSent = now();
const expected = measuredCount * job.clients;
const drainDeadline = lastSent + job.drainMs;
while (measuredDeliveries < expected && now() < drainDeadline) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}
running = false;
const cpu = process.cpuUsage(cpu0);

const sorted = Float64Array.from(latencies).sort();
const pct = (p: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);
const seconds = job.durationSeconds;
const result: ChatLoadResult = {
  clients: clients.length,
  messages: measuredCount,
  expectedDeliveries: expected,
  deliveries: measuredDeliveries,
  seconds,
  deliveriesPerSec: measuredDeliveries / seconds,
  offeredPerSec: expected / seconds,
  latencyP50Ms: pct(50),
  latencyP99Ms: pct(99),
  latencyMaxMs: sorted.length ? sorted[sorted.length - 1]! : NaN,
  closedEarly,
  errors,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
};
for (const ws of clients) ws.terminate();
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
