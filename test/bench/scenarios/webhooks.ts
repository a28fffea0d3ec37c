import type { BenchContext } from '../lib/context.ts';
import { measureLoad, warmUp, type LoadShape } from '../lib/load.ts';
import { makeRow } from '../lib/results.ts';
import { startBaseline, type ServerProcess } from '../lib/processes.ts';
import { startService } from '../lib/service.ts';
import { SMALL_CONNECTIONS, SMALL_SIZE } from '../lib/small-uploads.ts';
import type { Scenario } from './scenario.ts';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const SHAPE: LoadShape = { connections: SMALL_CONNECTIONS, request: { kind: 'multipart-upload', size: SMALL_SIZE }, expectStatus: 200 };

type Figures = { reqPerSec: number; cpuMsPerUpload: number; lagP99Ms: number; lagMaxMs: number; backgroundCpuPct: number };

/** Lags noted by the receiver process from its `from`-th delivery on. */
async function lagsOf(receiver: ServerProcess, from: number): Promise<number[]> {
  return (await (await fetch(`${receiver.url}/lags?from=${from}`)).json()) as number[];
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

async function run(ctx: BenchContext, withWebhook: boolean): Promise<Figures> {
  // Its own process: the lag is not the load generator's event loop.
  const receiver = withWebhook ? await startBaseline('baselines/webhook-receiver.ts', '') : undefined;
  const events = receiver ? { webhooks: [{ url: `${receiver.url}/`, secret: SECRET }] } : {};
  const label = `64 KiB multipart ${withWebhook ? 'with' : 'without'} a webhook`;
  const service = await startService({
    root: ctx.freshDir(`webhooks-${withWebhook}`),
    config: { events },
    cpuProfDir: ctx.options.cpuProfDir,
  });
  try {
    await warmUp(ctx, service, SHAPE);
    const before = receiver ? (await lagsOf(receiver, 0)).length : 0;
    // The receiver's CPU is the run's, not other work's.
    const load = await measureLoad(ctx, service, SHAPE, label, receiver ? [receiver.pid] : []);
    let lags: number[] = [];
    if (receiver) {
      // Every event of the measured run is delivered before its lag is read (a few seconds at most).
      const deadline = Date.now() + 30_000;
      while ((lags = await lagsOf(receiver, before)).length < load.ok && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      if (lags.length < load.ok) throw new Error(`${label}: ${lags.length} of ${load.ok} events delivered`);
    }
    return {
      reqPerSec: load.reqPerSec,
      cpuMsPerUpload: (load.serverCpuSeconds * 1000) / load.ok,
      lagP99Ms: percentile(lags, 99),
      lagMaxMs: Math.max(0, ...lags),
      backgroundCpuPct: load.backgroundCpuPct,
    };
  } finally {
    await service.stop();
    await receiver?.stop();
  }
}

/** Issue 23: small uploads with one webhook (a receiver on loopback) against the same without webhooks, and the delivery lag. */
export const webhooks: Scenario = {
  name: 'small multipart 64 KiB c=32 with one webhook',
  module: 'media',
  async run(ctx) {
    const { withHook, without } = await ctx.interleave<{ withHook: Figures; without: Figures }>('webhooks 64 KiB c=32', {
      without: () => run(ctx, false),
      withHook: () => run(ctx, true),
    });
    return [
      makeRow({
        scenario: this.name,
        figure: 'uploads/s, fsync on',
        unit: 'req/s',
        value: withHook.median.reqPerSec,
        runs: withHook.runs.map((r) => r.reqPerSec),
        baseline: { name: 'the same without webhooks', value: without.median.reqPerSec },
        target: { ratioAtLeast: 0.9 },
        backgroundCpuPct: withHook.median.backgroundCpuPct,
        discardedRuns: withHook.discarded,
      }),
      makeRow({
        scenario: this.name,
        figure: 'delivery lag p99 (event to receipt)',
        unit: 'ms',
        value: withHook.median.lagP99Ms,
        runs: withHook.runs.map((r) => r.lagP99Ms),
        target: { atMost: 100 },
        backgroundCpuPct: withHook.median.backgroundCpuPct,
        discardedRuns: withHook.discarded,
      }),
    ];
  },
};
