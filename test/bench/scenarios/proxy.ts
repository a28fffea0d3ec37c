import type { BenchContext } from '../lib/context.ts';
import { measureLoad, warmUp, type LoadShape } from '../lib/load.ts';
import { startBaseline, type ServerProcess } from '../lib/processes.ts';
import { figureRows, type Target } from '../lib/results.ts';
import { startService } from '../lib/service.ts';
import type { Scenario } from './scenario.ts';

type ProxyFigures = { reqPerSec: number; p50Ms: number; p99Ms: number; serverCpuPct: number; backgroundCpuPct: number };

const CONNECTIONS = 100;
const BASELINE = 'upstream direct';

/**
 * GETs through `/proxy/up/...` to a bare node:http upstream (its own process) that answers after
 * `delayMs`, c=100, against the same upstream hit directly, interleaved in the same invocation.
 * A fresh upstream (and service) per run: no keep-alive pool or timer state carries over.
 */
async function measureProxy(ctx: BenchContext, delayMs: number, via: 'direct' | 'service', index: number): Promise<ProxyFigures> {
  const upstream = await startBaseline('baselines/delayed-upstream.ts', String(delayMs));
  let service: ServerProcess | undefined;
  try {
    let target = upstream;
    let path = '/item';
    if (via === 'service') {
      service = await startService({
        root: ctx.freshDir(`proxy-${delayMs}ms-${index}`),
        config: { proxy: { upstreams: { up: { url: `${upstream.url}/`, timeoutMs: 10_000 } } } },
        cpuProfDir: ctx.options.cpuProfDir,
      });
      target = service;
      path = '/proxy/up/item';
    }
    const shape: LoadShape = { connections: CONNECTIONS, expectStatus: 200, request: { kind: 'get', path } };
    await warmUp(ctx, target, shape);
    const helpers = service ? [upstream.pid] : [];
    const load = await measureLoad(ctx, target, shape, `proxy ${delayMs} ms via ${via}`, helpers);
    return {
      reqPerSec: load.reqPerSec,
      p50Ms: load.latencyP50Ms,
      p99Ms: load.latencyP99Ms,
      serverCpuPct: load.serverCpuPct,
      backgroundCpuPct: load.backgroundCpuPct,
    };
  } finally {
    await service?.stop();
    await upstream.stop();
  }
}

function proxyScenario(delayMs: number, targets: { reqPerSec: Target; p99Ms: Target }): Scenario {
  return {
    name: `proxy, upstream ${delayMs} ms, c=${CONNECTIONS}`,
    module: 'proxy',
    async run(ctx) {
      const { direct, service } = await ctx.interleave<{ direct: ProxyFigures; service: ProxyFigures }>(`proxy ${delayMs} ms`, {
        direct: (index) => measureProxy(ctx, delayMs, 'direct', index),
        service: (index) => measureProxy(ctx, delayMs, 'service', index),
      });
      const figures = [
        ['req/s', 'reqPerSec', 'req/s', targets.reqPerSec],
        ['latency p50', 'p50Ms', 'ms', { report: true }],
        ['latency p99', 'p99Ms', 'ms', targets.p99Ms],
      ] as const;
      return figureRows(this.name, figures, service, { name: BASELINE, median: direct.median });
    },
  };
}

/** Issue 8: a slow upstream (the ceiling is 100 / 0.2 s = 500 req/s) and a fast one. */
export const proxySlowUpstream = proxyScenario(200, { reqPerSec: { ratioAtLeast: 0.95 }, p99Ms: { atMost: 260 } });
export const proxyFastUpstream = proxyScenario(5, { reqPerSec: { report: true }, p99Ms: { report: true } });
