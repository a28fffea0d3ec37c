import type { BenchContext } from '../lib/context.ts';
import { measureChat } from '../lib/load.ts';
import { startBaseline, type ServerProcess } from '../lib/processes.ts';
import { figureRows } from '../lib/results.ts';
import { startService } from '../lib/service.ts';
import type { ChatLoadJob } from '../load/load-job.ts';
import type { Scenario } from './scenario.ts';

type ChatFigures = { deliveriesPerSec: number; p50Ms: number; p99Ms: number; maxMs: number; backgroundCpuPct: number };

const CLIENTS = 500;
const SENDERS = 20;
const RATE = 5;
/** Deliveries per second offered: every message reaches every member, the sender included. */
const OFFERED = CLIENTS * SENDERS * RATE;
const REFERENCE = 'bare ws broadcast';

/**
 * Production-like chat config; the rate limits raised well above 5 msg/s per sender and 100 msg/s in
 * the room, and the per-address cap above 500 (every load client comes from 127.0.0.1).
 */
const CHAT_CONFIG = {
  chat: {
    maxConnections: 1000,
    maxConnectionsPerAddress: 1000,
    rateLimit: { messages: 1000, intervalMs: 1000 },
    roomRateLimit: { messages: 10_000, intervalMs: 1000 },
  },
};

function loadJob(ctx: BenchContext): Omit<ChatLoadJob, 'url'> {
  return {
    room: 'bench',
    clients: CLIENTS,
    senders: SENDERS,
    ratePerSec: RATE,
    textBytes: 64,
    settleMs: 1000,
    warmupSeconds: ctx.options.warmupSeconds,
    durationSeconds: ctx.options.seconds,
    drainMs: 2000,
  };
}

async function chatRun(ctx: BenchContext, start: () => Promise<ServerProcess>, what: string): Promise<ChatFigures> {
  const server = await start();
  try {
    const result = await measureChat(server, loadJob(ctx), what);
    return {
      deliveriesPerSec: result.deliveriesPerSec,
      p50Ms: result.latencyP50Ms,
      p99Ms: result.latencyP99Ms,
      maxMs: result.latencyMaxMs,
      backgroundCpuPct: result.backgroundCpuPct,
    };
  } finally {
    await server.stop();
  }
}

/**
 * Issue 8: 500 WebSocket clients in one room, 20 of them sending 5 messages/s: 50,000
 * deliveries/s offered. The spec's targets are absolute; a bare `ws` broadcast server (same
 * fan-out, nothing else) runs interleaved as a reference, as TOOLCHAIN.md quotes it.
 */
export const chatFanOut: Scenario = {
  name: `chat, ${CLIENTS} clients in one room, ${SENDERS} senders x ${RATE} msg/s`,
  module: 'chat',
  async run(ctx) {
    const { raw, service } = await ctx.interleave<{ raw: ChatFigures; service: ChatFigures }>('chat', {
      raw: () => chatRun(ctx, () => startBaseline('baselines/raw-ws-broadcast.ts', ''), 'raw-ws-broadcast'),
      service: (index) =>
        chatRun(
          ctx,
          () => startService({ root: ctx.freshDir(`chat-${index}`), config: CHAT_CONFIG, cpuProfDir: ctx.options.cpuProfDir }),
          'service chat',
        ),
    });
    const figures = [
      ['deliveries/s', 'deliveriesPerSec', 'msg/s', { atLeast: OFFERED }],
      ['delivery latency p50', 'p50Ms', 'ms', { report: true }],
      ['delivery latency p99', 'p99Ms', 'ms', { atMost: 100 }],
      ['delivery latency max', 'maxMs', 'ms', { report: true }],
    ] as const;
    return figureRows(this.name, figures, service, { name: REFERENCE, median: raw.median });
  },
};
